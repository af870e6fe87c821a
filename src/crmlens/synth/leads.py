"""Leads of one chunk: converted ones behind about half of the new-business deals (same source
and campaign, converted on the deal's creation date) and about 1.5 open or dropped leads for each
converted one."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from crmlens.synth import planted as P
from crmlens.synth import vocab_v2 as W
from crmlens.synth.common import AS_OF_DAY, pick, sf_ids, stream, text
from crmlens.synth.marketing import CampaignPlan

CONVERTED_SHARE = 0.5  # new-business deals that come from a lead
OPEN_PER_CONVERTED = 1.5
OPEN_CAMPAIGN_SHARE = 0.5


def leads_for(seed: int, chunk: int, opps: pa.Table, plan: CampaignPlan) -> pa.Table:
    rng = stream(seed, "leads", chunk)
    kind = opps["type"].to_numpy(zero_copy_only=False)
    created = np.asarray(opps["created_date"].to_numpy(zero_copy_only=False), "datetime64[D]")
    conv = np.flatnonzero((kind == "New Business") & (rng.random(len(kind)) < CONVERTED_SHARE))
    k = len(conv)
    n_open = rng.poisson(OPEN_PER_CONVERTED * k) if k else 0
    open_day = rng.integers(P.CRM_START, 1, n_open)
    campaign = np.where(rng.random(n_open) < OPEN_CAMPAIGN_SHARE, plan.attribute(rng, open_day), -1)
    cid = plan.ids()
    open_campaign = np.where(campaign >= 0, cid[np.maximum(campaign, 0)], None)
    conv_created = created[conv] - rng.integers(3, 61, k).astype("timedelta64[D]")
    n = k + n_open
    ids = sf_ids("00Q", (np.int64(chunk) << 22) + np.arange(n, dtype=np.int64))

    def column(name: str) -> np.ndarray:
        return opps[name].to_numpy(zero_copy_only=False)[conv]

    open_dates = AS_OF_DAY + open_day.astype("timedelta64[D]")
    return pa.table(
        {
            "lead_id": text(ids),
            "created_date": pa.array(np.concatenate([conv_created, open_dates])),
            "lead_source": text(
                np.concatenate([column("lead_source"), pick(rng, W.DEAL_SOURCES, n_open)])
            ),
            "campaign_id": text(np.concatenate([column("campaign_id"), open_campaign])),
            "status": text(
                np.concatenate(
                    [np.full(k, "Converted", dtype=object), pick(rng, W.LEAD_STATUS_OPEN, n_open)]
                )
            ),
            "is_converted": pa.array(np.arange(n) < k, pa.bool_()),
            "converted_date": pa.array(
                np.concatenate([created[conv], open_dates]), mask=np.arange(n) >= k
            ),
            "converted_account_id": text(
                np.concatenate([column("account_id"), np.full(n_open, None, dtype=object)])
            ),
            "converted_opportunity_id": text(
                np.concatenate([column("opportunity_id"), np.full(n_open, None, dtype=object)])
            ),
        }
    )
