"""Small engine-side helpers shared by the analysis units."""

import random

import pandas as pd
import pytest

from crmlens.analyses.engine import cents


def test_money_totals_rounded_to_the_cent_agree_whatever_the_order_of_addition():
    amounts = [round(random.Random(seed).uniform(1, 10**6), 2) for seed in range(2000)]
    forward, backward = sum(amounts), sum(reversed(amounts))
    shuffled = list(amounts)
    random.Random(1).shuffle(shuffled)
    totals = [forward, backward, sum(shuffled)]
    assert len(set(totals)) > 1  # floating-point addition depends on the order
    exact = sum(round(a * 100) for a in amounts) / 100  # whole cents, added exactly
    frame = cents(pd.DataFrame({"revenue": totals, "deals": [1, 2, 3]}), "revenue")
    assert frame["revenue"].tolist() == [exact] * 3
    assert frame["deals"].tolist() == [1, 2, 3]


def test_is_in_matches_pandas_isin_except_missing_values():
    import numpy as np
    import pandas as pd

    from crmlens.analyses.toolkit import is_in

    values = pd.Series(["a", "b", None, "d", "a"], dtype="str")
    allowed = pd.Series(["a", "d", None], dtype="str")
    assert is_in(values, allowed).tolist() == [True, False, False, True, True]
    assert is_in(values.iloc[:0], allowed).tolist() == []
    ints = pd.Series([1, 2, 3])
    assert is_in(ints, pd.Series([3, 1])).tolist() == [True, False, True]
    mixed = is_in(ints, pd.Series([None, None], dtype=object))  # types differ: pandas decides
    assert mixed.dtype == np.bool_ and not mixed.any()


def test_is_in_on_categories_falls_back_to_pandas():
    import pandas as pd

    from crmlens.analyses.toolkit import is_in

    values = pd.Series(pd.Categorical(["a", "b", None]))
    assert is_in(values, pd.Series(pd.Categorical(["b"]))).tolist() == [False, True, False]
    assert is_in(values, pd.Series(["a"], dtype="str")).tolist() == [True, False, False]


def test_sorted_by_gives_the_order_of_a_stable_pandas_sort():
    """Ties keep their order, missing values go last, text sorts by code point ('Z' < 'a' < 'é'),
    whatever the column's dtype; a column Arrow cannot read is sorted by pandas."""
    from crmlens.analyses.toolkit import sorted_by

    frame = pd.DataFrame(
        {
            "id": pd.Series(["b", "a", None, "é", "Z", "a", "b"], dtype="str"),
            "email": pd.Series(["x", "y", "w", "v", None, "y", "a"], dtype=object),
            "n": [1, 2, 3, 4, 5, 6, 7],
        }
    ).set_axis([10, 11, 12, 13, 14, 15, 16])
    got = sorted_by(frame, ["id", "email"])
    assert got["n"].tolist() == [
        5,
        2,
        6,
        7,
        1,
        4,
        3,
    ]  # by hand: Z; a,y (twice, in order); b,a; b,x; é; missing
    assert got.index.tolist() == [14, 11, 15, 16, 10, 13, 12]
    assert got.equals(frame.sort_values(["id", "email"], kind="stable"))
    mixed = pd.DataFrame({"k": pd.Series([2, "a", 1], dtype=object)})  # Arrow cannot read it
    with pytest.raises(TypeError):  # pandas cannot order it either: the same error as before
        sorted_by(mixed, ["k"])
