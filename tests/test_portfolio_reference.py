"""The portfolio review's headline figures of every dimension equal an independent plain-pandas
re-computation (tests/portfolio_reference.py) on two generated datasets."""

from __future__ import annotations

import datetime as dt

import pytest

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.sources.memory import open_frames
from portfolio_reference import generate, reference

AS_OF = dt.date(2025, 9, 30)


@pytest.mark.parametrize("seed", [7, 2026])
def test_headline_figures_match_the_pandas_reference(seed):
    frames = generate(seed)
    cfg = CrmlensConfig.model_validate({"portfolio_review": {"as_of_source": "run"}})
    result = REGISTRY["portfolio_review"].run(open_frames(frames), cfg, as_of=AS_OF)
    expected = reference(frames, cfg.section("portfolio_review"), AS_OF)
    for name, want in expected.items():
        got = result.metric(name)
        assert got == pytest.approx(want, rel=1e-9), name
    assert result.metric("top_tied_excluded") >= 0


@pytest.mark.parametrize("fixture", ["gen_db", "gen_db_other"])
def test_headline_figures_match_on_the_product_generator(fixture, request):
    """The same check on the two generator v2 datasets the other units are checked on."""
    import duckdb

    path = request.getfixturevalue(fixture)
    con = duckdb.connect(str(path), read_only=True)
    tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    names = [r[0] for r in tables]
    frames = {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names if not n.startswith("_")}
    con.close()
    as_of = dt.date(2026, 6, 30)
    cfg = CrmlensConfig.model_validate({"portfolio_review": {"as_of_source": "run"}})
    result = REGISTRY["portfolio_review"].run(open_frames(frames), cfg, as_of=as_of)
    expected = reference(frames, cfg.section("portfolio_review"), as_of)
    for name, want in expected.items():
        got = result.metric(name)
        assert got == pytest.approx(want, rel=1e-9, nan_ok=True), name
