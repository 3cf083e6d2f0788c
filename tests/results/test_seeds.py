"""Several training seeds per model: aggregated rows, seed spread, ranks across seeds."""

from __future__ import annotations

import statistics

import numpy as np
import pytest
from record_factory import make_record
from scipy.stats import ttest_ind

from xmbench.errors import InputError
from xmbench.results.leaderboard import leaderboard_frame, to_csv, to_markdown
from xmbench.results.seeds import aggregate_seeds
from xmbench.results.significance import difference


def seeded(group: str, seed: int, accuracy: float, fd: float) -> dict:
    record = make_record(f"{group}-s{seed}", {"attribute_accuracy": accuracy, "fd_shapes": fd}, seed=seed)
    record["model"].update(seed_group=group, training_seed=seed)
    return record


def test_aggregate_mean_spread_and_bootstrap_of_the_mean():
    values = [0.30, 0.36, 0.33]
    members = [seeded("a", s, v, 100.0 + s) for s, v in enumerate(values)]
    (agg,), sources = aggregate_seeds(members)
    m = agg["metrics"]["attribute_accuracy"]
    assert agg["model"]["name"] == "a" and agg["model"]["training_seeds"] == [0, 1, 2]
    assert sources == ["a (3 seeds)"]
    assert m["value"] == pytest.approx(statistics.fmean(values))
    assert m["seed_std"] == pytest.approx(statistics.stdev(values))
    assert m["seed_values"] == values
    # percentiles of the replicate-wise mean of the seeds' bootstrap draws
    reps = np.mean([r["metrics"]["attribute_accuracy"]["bootstrap"] for r in members], axis=0)
    lo, hi = np.quantile(reps, [0.025, 0.975])
    assert (m["ci_low"], m["ci_high"]) == pytest.approx((lo, hi))
    # averaging three independent evaluations narrows the sampling interval
    widths = [
        r["metrics"]["attribute_accuracy"]["ci_high"] - r["metrics"]["attribute_accuracy"]["ci_low"] for r in members
    ]
    assert m["ci_high"] - m["ci_low"] < min(widths)


def test_normal_approximation_stays_inside_the_seeds_intervals():
    """Records without bootstrap replicates (older schema) aggregate by a normal approximation; near
    0 its interval would leave [0, 1] (the 500-step objective study showed [-0.0001, 0.0004])."""
    members = [seeded("a", s, v, 100.0) for s, v in enumerate([0.0, 0.0, 0.0005])]
    for record, (lo, hi) in zip(members, [(0.0, 0.0), (0.0, 0.0), (0.0, 0.0015)], strict=True):
        metric = record["metrics"]["attribute_accuracy"]
        metric.pop("bootstrap")
        metric.update(ci_low=lo, ci_high=hi)
    m = aggregate_seeds(members)[0][0]["metrics"]["attribute_accuracy"]
    z = 1.959963984540054
    unclipped = 0.0005 / 3 - z * (0.0015 / (2 * z)) / 3
    assert unclipped < 0.0  # the case the hull guards against
    assert m["ci_low"] == 0.0
    assert m["ci_high"] == pytest.approx(0.0005 / 3 + 0.0015 / 6)


def test_welch_across_seeds_matches_scipy():
    a = {"value": 0.5, "seed_values": [0.50, 0.55, 0.45]}
    b = {"value": 0.2, "seed_values": [0.20, 0.22, 0.18]}
    d = difference({**a, "value": np.mean(a["seed_values"])}, {**b, "value": np.mean(b["seed_values"])})
    p = ttest_ind(a["seed_values"], b["seed_values"], equal_var=False).pvalue
    assert d.method == "seeds" and d.significant == (p < 0.05)
    assert d.significant
    close = difference({"value": 0.5, "seed_values": [0.4, 0.6, 0.5]}, {"value": 0.45, "seed_values": [0.3, 0.6, 0.45]})
    p_close = ttest_ind([0.4, 0.6, 0.5], [0.3, 0.6, 0.45], equal_var=False).pvalue
    assert not close.significant and p_close > 0.05


def test_leaderboard_ties_by_seed_significance():
    # b's mean is higher but its seeds overlap a's: tied; c is far below both
    records = [seeded("a", s, v, 50.0) for s, v in enumerate([0.40, 0.50, 0.45])]
    records += [seeded("b", s, v, 50.0) for s, v in enumerate([0.42, 0.58, 0.50])]
    records += [seeded("c", s, v, 90.0) for s, v in enumerate([0.10, 0.11, 0.12])]
    records.append(make_record("noise", {"attribute_accuracy": 0.0, "fd_shapes": 900.0}, role="floor"))
    frame = leaderboard_frame(records, rank_by="attribute_accuracy")
    ranks = dict(zip(frame["model"], frame["rank"], strict=True))
    assert ranks["a"] == ranks["b"] == 1 and ranks["c"] == 3
    assert list(frame["seeds"][:3]) == [3, 3, 3]
    md = to_markdown(frame)
    assert "± " in md and "Welch" in md
    assert "attribute_accuracy_seed_std" in to_csv(frame)


def test_duplicate_seed_is_refused():
    with pytest.raises(InputError, match="training seed 1"):
        aggregate_seeds([seeded("a", 1, 0.3, 10.0), seeded("a", 1, 0.4, 10.0)])
