from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from crmlens.synth import generate  # noqa: E402


@pytest.fixture(scope="session")
def gen_db(tmp_path_factory):
    """A small generated DuckDB dataset (3,000 accounts, seed 7), shared by the session."""
    path = tmp_path_factory.mktemp("gen") / "small.duckdb"
    generate(path, 3000, 7)
    return path


@pytest.fixture(scope="session")
def gen_db_other(tmp_path_factory):
    """A second generated dataset with another seed and size."""
    path = tmp_path_factory.mktemp("gen2") / "other.duckdb"
    generate(path, 7000, 11)
    return path


# The fast tier (`pytest -m "not slow"`, about a minute) leaves out whole modules that run the CLI
# end to end many times and the single tests measured above ~3 s; CI runs everything.
SLOW_MODULES = {
    "test_bad_input_corpus",
    "test_history_concurrency",
    "test_monitor_safety",
    "test_outputs",
    "test_privacy_escape",
    "test_sources",
    "test_sf_roundtrip",
    "test_units_equivalence",
    "test_bench",
    "test_spark",
    "test_browser",
    "test_postgres",
    "test_duckdb_versions",
    "test_portfolio_reference",
    "test_portfolio_spark",
}
SLOW_TESTS = {
    "test_roi_decay.py::test_recovers_the_half_life_the_generator_planted",
    "test_funnel.py::test_no_prediction_changes_when_data_after_the_as_of_date_is_added",
    "test_funnel.py::test_calibrated_against_the_true_probabilities",
    "test_funnel_review.py::test_todays_account_and_deal_attributes_change_no_backtest_score",
    "test_funnel_review.py::test_without_dated_amounts_the_amount_is_no_feature",
    "test_health_score.py::test_matches_the_independent_reference_on_generated_data",
    "test_monitor.py::test_weekly_drift_fires_exactly_the_expected_alerts",
    "test_monitor.py::test_cli_monitor_exit_codes_history_and_trend",
    "test_input_checks.py::test_megabyte_category_value_is_capped_and_renders_quickly",
    "test_report.py::test_demo_command",
    "test_generator.py::test_same_seed_same_tables",
    "test_generator_v2.py::test_targeted_roi_decays_with_planted_half_life",
    "test_reference.py::test_headline_numbers_match_reference",
    "test_overrides.py::test_two_imports_at_once_lose_nothing",
    "test_progress.py::test_cli_run_prints_stages_in_a_log_and_on_a_terminal",
    "test_render_speed.py::test_bench_compares_crmlens_run_with_the_headline_script",
    "test_portfolio_review.py::test_monitor_fills_the_cards_change_and_records_the_figures",
    "test_portfolio_review.py::test_window_end_defaults_to_latest_closed_deal",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.path.stem
        name = f"{item.path.name}::{item.originalname}"
        if module in SLOW_MODULES or name in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
