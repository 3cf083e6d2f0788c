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
