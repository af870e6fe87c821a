"""Step 1 of investment mismatch, on the engine: de-duplication and the identity join
(``expressions``), then the complete rows the statistics run on (one row per customer)."""

from __future__ import annotations

import pandas as pd

from crmlens.analyses.engine import to_frame
from crmlens.analyses.investment_mismatch import expressions
from crmlens.analyses.investment_mismatch.columns import VALUE_COLUMNS
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.analyses.toolkit import sorted_by
from crmlens.schema.contracts import CUSTOMER_VALUE, CUSTOMERS, MAPPING
from crmlens.schema.typed import read_table
from crmlens.sources.base import Dataset

COMPONENTS = {
    "sales": "total_sales_amount",
    "adoption": "product_adoption_rate",
    "support": "support_resolution_efficiency",
}  # composite component → its column


def read_base(data: Dataset, cfg: InvestmentMismatchConfig) -> tuple[pd.DataFrame, dict]:
    """The joined base table (one row per de-duplicated value row) and the join counts."""
    value = read_table(data, CUSTOMER_VALUE)  # NaN/±Inf → NULL; text dates parsed, never guessed
    customers = read_table(data, CUSTOMERS)
    dedup = expressions.dedup_value(value.select(*_read_columns(value, cfg)))
    if cfg.identity == "mapping" and data.has_table(MAPPING.name):
        mapping = read_table(data, MAPPING)
        joined = expressions.join_by_mapping(dedup, customers, mapping, list(cfg.mapping_priority))
    else:
        joined = expressions.join_by_email(dedup, customers)
    cols = ["customer360_id", "total_sales_amount", *VALUE_COLUMNS]
    base = joined.select(primary_email=joined.email_key, **{c: joined[c] for c in cols})
    no_email = value.primary_email.lower().strip().isnull()
    counts = value.aggregate(rows=value.count(), without_email=no_email.sum()).execute().iloc[0]
    rows, without_email = int(counts["rows"]), int(counts["without_email"] or 0)
    n_customers = int(customers.count().execute())
    df = to_frame(base)
    distinct = len(df)  # one row per distinct e-mail: the joins keep one row per value row
    matched = int(df["customer360_id"].notna().sum())
    join = {
        "value_rows": rows,
        "without_email": without_email,
        "duplicates_removed": rows - distinct - without_email,
        "distinct_emails": distinct,
        "customers": n_customers,
        "matched": matched,
        "unmatched": distinct - matched,
        "join_coverage": matched / distinct if distinct else None,
        "customers_without_value": n_customers - int(df["customer360_id"].nunique()),
    }
    return df, join


def _read_columns(value, cfg: InvestmentMismatchConfig) -> list[str]:
    """The value columns the analysis reads (the others never enter the de-duplication)."""
    wanted = ["primary_email", "analysis_timestamp", *VALUE_COLUMNS]
    if cfg.identity == "mapping":
        wanted += list(cfg.mapping_priority)
    return [c for c in dict.fromkeys(wanted) if c in value.columns]


def complete_rows(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows with an identity, a priority score and every composite metric, by customer id (then
    e-mail: with ``identity: mapping`` several value rows can map to one customer, and the
    engine returns them in any order); and how many rows each missing column removed."""
    need = ["customer360_id", "investment_priority_score", *COMPONENTS.values()]
    dropped = {c: int(df[c].isna().sum()) for c in need}
    out = df.dropna(subset=need).copy()
    dropped["rows"] = len(df) - len(out)
    return sorted_by(out, ["customer360_id", "primary_email"]).reset_index(drop=True), dropped
