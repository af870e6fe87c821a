"""Small engine-side helpers shared by the analysis units."""

import random

import pandas as pd

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
