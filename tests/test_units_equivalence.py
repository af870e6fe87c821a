"""The analyses give exactly the results recorded in ``tests/golden/results_digest.json`` (every
metric, finding, recommendation, method value and a hash of every table) on three generated
datasets.  The digest was recorded with the code before the move into analysis units; re-record
it (``python tests/golden_digest.py tests/golden/results_digest.json``) only for a deliberate
change of results, naming the changed numbers in the commit message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from golden_digest import digest_all

GOLDEN = Path(__file__).parent / "golden" / "results_digest.json"


@pytest.mark.slow
def test_results_identical_to_the_recorded_digest(tmp_path):
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = json.loads(json.dumps(digest_all(tmp_path), sort_keys=True))
    assert actual.keys() == expected.keys()
    for dataset, analyses in expected.items():
        for name, digest in analyses.items():
            got = actual[dataset][name]
            for part in ("metrics", "findings", "recommendations", "method", "tables"):
                assert got[part] == digest[part], (dataset, name, part)
