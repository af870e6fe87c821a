"""Hand-made segmentation datasets (accounts + opportunities) and helpers shared by the
segmentation and override tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from crmlens.config import CrmlensConfig

AS_OF = dt.date(2026, 3, 1)
ACC = "salesforce__customer_360_view"
OPP = "salesforce__opportunity_enhanced"


def won(account: str, days_ago: int, amount: float | None, n: int = 1) -> list[dict]:
    day = AS_OF - dt.timedelta(days=days_ago)
    return [
        {
            "opportunity_id": f"{account}-o{days_ago}-{i}",
            "account_id": account,
            "amount": amount,
            "is_won": True,
            "is_closed": True,
            "close_date": day,
        }
        for i in range(n)
    ]


def frames(n_accounts: int = 12, prospects: int = 2) -> dict[str, pd.DataFrame]:
    """``n_accounts`` customers A01… with 1..n won deals spread over recency and amount, and
    ``prospects`` accounts P… without a won deal (one lost deal each)."""
    accounts, opps = [], []
    for i in range(1, n_accounts + 1):
        aid = f"A{i:02d}"
        accounts.append({"account_id": aid, "account_name": f"Account {i}"})
        opps += won(aid, 30 * i, 1000.0 * i, n=1 + (n_accounts - i) // 4)
    for j in range(1, prospects + 1):
        pid = f"P{j:02d}"
        accounts.append({"account_id": pid, "account_name": f"Prospect {j}"})
        opps.append({**won(pid, 10, 500.0)[0], "is_won": False, "opportunity_id": f"{pid}-lost"})
    opp = pd.DataFrame(opps)
    opp["close_date"] = pd.to_datetime(opp["close_date"])
    return {ACC: pd.DataFrame(accounts), OPP: opp}


def write_db(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    con = duckdb.connect(str(path))
    for name, frame in tables.items():
        con.register("_f", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _f')
        con.unregister("_f")
    con.close()
    return path


def config(store: Path, **segmentation) -> CrmlensConfig:
    return CrmlensConfig.model_validate(
        {"overrides": {"store": str(store)}, "segmentation": segmentation}
    )


def run(tables: dict[str, pd.DataFrame], cfg: CrmlensConfig, as_of: dt.date = AS_OF):
    from crmlens.analyses import REGISTRY
    from crmlens.sources.memory import open_frames

    return REGISTRY["segmentation"].run(open_frames(tables), cfg, as_of=as_of)
