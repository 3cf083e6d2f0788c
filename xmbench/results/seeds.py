"""Several training seeds of one model: one aggregated row from one record per seed.

A [[models]] table with `seeds = [0, 1, 2]` gives one record per training seed, each marking its
group in `model.seed_group` and its seed in `model.training_seed`. `aggregate_seeds` replaces each
group by one record whose metrics hold:

- `value`: the mean over seeds;
- `seed_values`: the per-seed values, and `seed_std`: their standard deviation (ddof 1; 0 for one seed);
- `ci_low` / `ci_high` and `bootstrap`: the evaluation-sampling interval of that mean, the
  percentiles of the per-seed bootstrap replicates averaged replicate by replicate (the seeds are
  independent evaluations), else from the per-seed intervals by a normal approximation, kept inside
  the hull of the per-seed intervals (so a proportion's interval stays inside [0, 1]).

The seed spread measures training variance, the interval sampling variance; the significance of a
difference between two groups is tested across seeds (xmbench.results.significance).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
from scipy.stats import norm

from xmbench.errors import InputError


def seed_group(record: dict[str, Any]) -> str | None:
    """The seed group a record belongs to (its [[models]] name), or None for a single-seed record."""
    return record["model"].get("seed_group")


def aggregate_seeds(
    records: list[dict[str, Any]], sources: list[str] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """(records, sources) with each seed group replaced by one aggregated record, in first-seen order.

    Raises InputError when one group holds two records of the same training seed.

    Example:
        >>> m = lambda v: {"value": v, "ci_low": v - 1, "ci_high": v + 1, "n": 10, "higher_is_better": True}
        >>> rec = lambda s, v: {"model": {"name": f"a-s{s}", "kind": "baseline", "seed_group": "a",
        ...                               "training_seed": s}, "metrics": {"acc": m(v)}}
        >>> out, _ = aggregate_seeds([rec(0, 1.0), rec(1, 3.0)])
        >>> out[0]["model"]["name"], out[0]["metrics"]["acc"]["value"], out[0]["metrics"]["acc"]["seed_std"]
        ('a', 2.0, 1.4142135623730951)
    """
    sources = sources or [r["model"]["name"] for r in records]
    groups: dict[str, list[int]] = {}
    out: list[tuple[dict[str, Any], str] | str] = []
    for i, record in enumerate(records):
        group = seed_group(record)
        if group is None:
            out.append((record, sources[i]))
            continue
        if group not in groups:
            groups[group] = []
            out.append(group)
        groups[group].append(i)
    result, result_sources = [], []
    for item in out:
        if isinstance(item, str):
            members = [records[i] for i in groups[item]]
            _check_seeds(item, members, [sources[i] for i in groups[item]])
            result.append(_aggregate(item, members))
            result_sources.append(f"{item} ({len(members)} seeds)")
        else:
            result.append(item[0])
            result_sources.append(item[1])
    return result, result_sources


def _check_seeds(group: str, members: list[dict[str, Any]], sources: list[str]) -> None:
    seen: dict[Any, str] = {}
    for record, source in zip(members, sources, strict=True):
        seed = record["model"].get("training_seed")
        if seed in seen:
            raise InputError(
                f"two records of model {group!r} with training seed {seed} ({seen[seed]} and {source}); "
                "pass one record per seed"
            )
        seen[seed] = source


def _aggregate(group: str, members: list[dict[str, Any]]) -> dict[str, Any]:
    record = copy.deepcopy(members[0])
    seeds = [m["model"].get("training_seed") for m in members]
    record["model"] = {
        **{k: v for k, v in members[0]["model"].items() if k not in ("training_seed", "checkpoint_sha256")},
        "name": group,
        "training_seeds": seeds,
        "members": [m["model"]["name"] for m in members],
    }
    names = [n for n in members[0]["metrics"] if all(n in m["metrics"] for m in members)]
    record["metrics"] = {n: aggregate_metric([m["metrics"][n] for m in members]) for n in names}
    return record


def aggregate_metric(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """One metric's per-seed records -> the aggregated metric record (see module docstring).

    A seed without a value (null) makes the aggregate null.

    Example:
        >>> m = lambda v, b: {"value": v, "ci_low": min(b), "ci_high": max(b), "n": 4,
        ...                   "higher_is_better": False, "bootstrap": b}
        >>> agg = aggregate_metric([m(1.0, [0.5, 1.5]), m(3.0, [2.5, 3.5])])
        >>> agg["value"], agg["bootstrap"], agg["seed_values"]
        (2.0, [1.5, 2.5], [1.0, 3.0])
    """
    first = metrics[0]
    values = [m["value"] for m in metrics]
    out: dict[str, Any] = {
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "n": min(m["n"] for m in metrics),
        "higher_is_better": first["higher_is_better"],
        "seed_values": values,
        "seed_std": None,
    }
    if "confidence" in first:
        out["confidence"] = first["confidence"]
    if any(v is None for v in values):
        return out
    mean = float(np.mean(values))
    out["value"] = mean
    out["seed_std"] = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    replicates = [m.get("bootstrap") for m in metrics]
    if all(replicates) and len({len(r) for r in replicates}) == 1:
        averaged = np.mean(np.asarray(replicates, dtype=np.float64), axis=0)
        out["bootstrap"] = averaged.tolist()
        tail = (1.0 - float(first.get("confidence", 0.95))) / 2.0
        lo, hi = np.quantile(averaged, [tail, 1.0 - tail])  # percentile intervals, as the per-seed records
        out["ci_low"], out["ci_high"] = float(lo), float(hi)
    elif all(m["ci_low"] is not None for m in metrics):
        level = float(first.get("confidence", 0.95))
        z = float(norm.ppf(0.5 + level / 2.0))
        se = math.sqrt(sum(((m["ci_high"] - m["ci_low"]) / (2 * z)) ** 2 for m in metrics)) / len(metrics)
        floor, ceiling = min(m["ci_low"] for m in metrics), max(m["ci_high"] for m in metrics)
        out["ci_low"], out["ci_high"] = max(mean - z * se, floor), min(mean + z * se, ceiling)
    return out
