import math

import pytest
from record_factory import make_record

from xmbench.errors import InputError
from xmbench.results import check_records, format_checks, parse_tolerances
from xmbench.results.significance import difference


def _verdicts(new, old, **kw):
    return {c.name: c.failed for c in check_records(new, old, **kw)}


def test_identical_rerun_passes():
    old = make_record("m", seed=1)
    assert _verdicts(make_record("m", seed=1), old) == {"fd_shapes": False, "attribute_accuracy": False}


def test_significant_degradation_fails_in_both_directions():
    old = make_record("m", {"fd_shapes": 10.0, "attribute_accuracy": 0.50}, seed=1)
    worse = make_record("m", {"fd_shapes": 14.0, "attribute_accuracy": 0.45}, seed=2)
    assert _verdicts(worse, old) == {"fd_shapes": True, "attribute_accuracy": True}
    better = make_record("m", {"fd_shapes": 6.0, "attribute_accuracy": 0.55}, seed=2)
    assert _verdicts(better, old) == {"fd_shapes": False, "attribute_accuracy": False}


def test_worse_but_not_significant_passes():
    old = make_record("m", {"fd_shapes": 10.0}, seed=1)
    noisy = make_record("m", {"fd_shapes": 10.3}, seed=2)  # spread 0.5 each: well inside noise
    (c,) = check_records(noisy, old)
    assert c.worse_by == pytest.approx(0.3) and not c.failed and c.p_within > 0.05


def test_tolerance_relative_and_absolute():
    old = make_record("m", {"fd_shapes": 10.0, "attribute_accuracy": 0.50}, seed=1)
    worse = make_record("m", {"fd_shapes": 14.0, "attribute_accuracy": 0.45}, seed=2)
    tol = parse_tolerances(["fd_shapes=50%", "attribute_accuracy=0.1"])
    assert tol["fd_shapes"].absolute(10.0) == pytest.approx(5.0)
    assert _verdicts(worse, old, tolerances=tol) == {"fd_shapes": False, "attribute_accuracy": False}
    # 4.0 worse with 3.0 allowed, 1.0 beyond: difference se ~0.7, so not significant beyond tolerance
    tol = parse_tolerances(["fd_shapes=30%"])
    assert not _verdicts(worse, old, tolerances=tol)["fd_shapes"]
    tol = parse_tolerances(["fd_shapes=5%"])
    assert _verdicts(worse, old, tolerances=tol)["fd_shapes"]


def test_bootstrap_difference_matches_normal_closed_form():
    a = make_record("a", {"fd_shapes": 12.0}, spread=1.0, seed=3)["metrics"]["fd_shapes"]
    b = make_record("b", {"fd_shapes": 10.0}, spread=1.0, seed=4)["metrics"]["fd_shapes"]
    a["bootstrap"] = list(__import__("numpy").random.default_rng(0).normal(12.0, 1.0, 2000))
    b["bootstrap"] = list(__import__("numpy").random.default_rng(1).normal(10.0, 1.0, 2000))
    d = difference(a, b)
    half = 1.959964 * math.sqrt(2.0)
    assert d.method == "bootstrap" and d.delta == pytest.approx(2.0)
    assert d.ci_low == pytest.approx(2.0 - half, abs=0.08) and d.ci_high == pytest.approx(2.0 + half, abs=0.08)
    a.pop("bootstrap"), b.pop("bootstrap")
    n = difference(a, b)
    assert n.method == "normal"
    se = math.hypot((a["ci_high"] - a["ci_low"]) / 3.919928, (b["ci_high"] - b["ci_low"]) / 3.919928)
    assert n.se == pytest.approx(se) and n.ci_high - n.ci_low == pytest.approx(2 * 1.959964 * se, rel=1e-5)


@pytest.mark.parametrize("spec", ["fd_shapes", "fd_shapes=", "fd_shapes=five%", "=5%", "fd_shapes=-5%"])
def test_malformed_tolerance(spec):
    with pytest.raises(InputError, match="must look like METRIC=5%"):
        parse_tolerances([spec])


def test_unknown_tolerance_metric_and_mixed_protocols():
    old = make_record("m")
    with pytest.raises(InputError, match="did you mean 'fd_shapes'"):
        check_records(make_record("m"), old, tolerances=parse_tolerances(["fd_shape=5%"]))
    with pytest.raises(InputError, match="refusing to mix suites"):
        check_records(make_record("m", suite="cub"), old)


def test_report_text_marks_failures():
    old = make_record("m", {"fd_shapes": 10.0}, seed=1)
    new = make_record("m", {"fd_shapes": 20.0}, seed=2)
    text = format_checks(check_records(new, old), new, old)
    assert "FAIL" in text and text.splitlines()[-1].startswith("FAILED: fd_shapes")


def test_report_states_the_rule_and_which_metrics_use_replicates():
    import numpy as np

    old = make_record("m", {"fd_shapes": 10.0, "attribute_accuracy": 0.5}, seed=1)
    new = make_record("m", {"fd_shapes": 10.0, "attribute_accuracy": 0.5}, seed=2)
    for rec, seed in ((old, 0), (new, 1)):
        rec["metrics"]["fd_shapes"]["bootstrap"] = list(np.random.default_rng(seed).normal(10.0, 0.5, 200))
        rec["metrics"]["attribute_accuracy"].pop("bootstrap", None)
    text = format_checks(check_records(new, old, alpha=0.01), new, old, alpha=0.01)
    assert "p(within) < alpha = 0.01" in text and "one-sided" in text
    assert "two-sided 98% interval" in text and "95% interval still contains 0" in text
    assert "difference from paired bootstrap replicates: fd_shapes" in text
    assert "normal approximation with SEs from the bootstrap CIs: attribute_accuracy" in text


def test_a_one_sided_failure_whose_95_interval_contains_zero():
    """Fail at one-sided 5% while the two-sided 95% interval of the difference still contains 0: the
    case the printed rule explains (normal approximation: delta / se between 1.645 and 1.96)."""
    old = make_record("m", {"fd_shapes": 10.0}, seed=1)
    new = make_record("m", {"fd_shapes": 10.0}, seed=2)
    for rec in (old, new):
        rec["metrics"]["fd_shapes"].pop("bootstrap", None)
    d = difference(new["metrics"]["fd_shapes"], old["metrics"]["fd_shapes"])
    new["metrics"]["fd_shapes"]["value"] = 10.0 + 1.8 * d.se
    (c,) = check_records(new, old)
    assert c.ci_low < 0.0 < c.ci_high and c.failed and c.p_within == pytest.approx(1 - 0.964, abs=0.002)


def test_alpha_outside_the_unit_interval_is_refused():
    old = make_record("m")
    for alpha in (0.0, 1.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(InputError, match="strictly between 0 and 1"):
            check_records(old, old, alpha=alpha)
