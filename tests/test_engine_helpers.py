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
