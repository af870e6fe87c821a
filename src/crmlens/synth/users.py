"""CRM users: the 150 owners accounts and deals already carry (ids 0..149, names from the v1
owner pool), twelve sales managers and a VP of sales above them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from crmlens.synth import vocab as V
from crmlens.synth import vocab_v2 as W
from crmlens.synth.common import sf_ids, stream, text

INACTIVE_SHARE = 0.06


def users_table(seed: int, owner_names: np.ndarray, first: np.ndarray, last: np.ndarray):
    rng = stream(seed, "users", 0)
    owners = len(owner_names)
    vp = owners + W.MANAGERS
    idx = np.arange(vp + 1)
    extra = [f"{first[i % len(first)]} {last[(i * 7 + 3) % len(last)]}" for i in idx[owners:]]
    names = np.concatenate([owner_names, np.array(extra, dtype=object)])
    role = np.full(len(idx), "Sales Manager", dtype=object)
    low = 0
    for name, high in W.USER_ROLES:
        role[low:high] = name
        low = high
    role[vp] = "VP Sales"
    manager = np.where(idx < owners, owners + idx % W.MANAGERS, vp)
    regions = np.array(V.REGIONS, dtype=object)
    region = regions[(manager - owners) % len(regions)]
    region[owners:vp] = regions[(idx[owners:vp] - owners) % len(regions)]
    active = (idx >= owners) | (rng.random(len(idx)) >= INACTIVE_SHARE)
    return pa.table(
        {
            "owner_id": text(sf_ids("005", idx)),
            "name": text(names),
            "role": text(role),
            "manager_id": pa.array(sf_ids("005", manager), pa.string(), mask=idx == vp),
            "region": text(region),
            "is_active": pa.array(active, pa.bool_()),
        }
    )
