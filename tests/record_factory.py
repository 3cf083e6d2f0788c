"""Synthetic result records for the results/report/runner tests (the schema the runner writes)."""

from __future__ import annotations

import numpy as np

from xmbench.results.schema import SCHEMA, SCHEMA_VERSION

DIRECTIONS = {"fd_shapes": False, "attribute_accuracy": True, "r_precision": True, "kid_shapes": False}


def metric(
    value: float, spread: float, n: int = 500, higher_is_better: bool = False, seed: int = 0, replicates: int = 200
) -> dict:
    """A metric dict with `replicates` Gaussian bootstrap draws of std `spread` around `value`."""
    draws = np.random.default_rng(seed).normal(value, spread, size=replicates)
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return {
        "name": "",
        "value": float(value),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "std": float(spread),
        "n": n,
        "higher_is_better": higher_is_better,
        "confidence": 0.95,
        "details": {},
        "bootstrap": [float(x) for x in draws],
    }


def make_record(
    name: str,
    values: dict[str, float] | None = None,
    spread: float = 0.5,
    role: str | None = None,
    suite: str = "shapes",
    samples: int = 500,
    seed: int = 0,
) -> dict:
    """A valid record for model `name` with the given metric values (default: FD and attribute accuracy)."""
    values = values or {"fd_shapes": 10.0, "attribute_accuracy": 0.5}
    metrics = {}
    for k, (m, v) in enumerate(values.items()):
        hib = DIRECTIONS.get(m, True)
        s = spread if not hib else spread / 100
        metrics[m] = {**metric(v, s, samples, hib, seed=seed * 100 + k), "name": m}
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "model": {
            "name": name,
            "kind": "calibration" if role else "baseline",
            "source": name,
            "options": {},
            "calibration": role,
            "checkpoint_sha256": None,
        },
        "suite": {"suite": suite, "resolution": 32, "splits": {"test": 5000}},
        "protocol": {
            "split": "test",
            "samples": samples,
            "seed": 0,
            "confidence": 0.95,
            "extractor": {"id": "shapes-v1", "weights_hash": "ab" * 32, "resize": "none"},
        },
        "metrics": metrics,
        "seeds": {"generation": 0, "evaluation": 0},
        "environment": {"xmbench": "0.1.0"},
        "timings": {"total_s": 1.0},
    }
