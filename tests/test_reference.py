"""crmlens vs an independent pandas re-computation, on two generated datasets."""

import pytest

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.sources import open_source
from reference import headline


@pytest.mark.parametrize("db", ["gen_db", "gen_db_other"])
def test_headline_numbers_match_reference(db, request):
    path = request.getfixturevalue(db)
    cfg = CrmlensConfig()
    expected = headline(path, cfg)
    r = REGISTRY["contact_coverage"].run(open_source(path), cfg)
    got = {k: r.metric(k) for k in expected}
    assert got == expected
    assert expected["key_accounts"] > 100 and expected["high_risk"] > 0  # a dataset that exercises the paths
