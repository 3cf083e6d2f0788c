"""The regression gate: compare a new result record with a baseline record metric by metric.

A metric fails when it is worse than the baseline by more than its tolerance AND that is
statistically significant: the one-sided bootstrap probability that the worsening is within the
tolerance is below `alpha` (see xmbench.results.significance).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from xmbench.errors import InputError, unknown_name
from xmbench.results.leaderboard import check_same_protocol, defined, format_value
from xmbench.results.significance import difference

_TOLERANCE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*=\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class Tolerance:
    """Allowed worsening of one metric: a fraction of the baseline value (relative) or absolute."""

    amount: float
    relative: bool

    def absolute(self, baseline_value: float) -> float:
        return self.amount * abs(baseline_value) if self.relative else self.amount

    def __str__(self) -> str:
        return f"{100 * self.amount:g}%" if self.relative else f"{self.amount:g}"


@dataclass(frozen=True)
class MetricCheck:
    """One metric's verdict. worse_by > 0 means NEW is worse than the baseline (in metric units)."""

    name: str
    baseline: float
    new: float
    delta: float  # new - baseline
    ci_low: float  # CI of delta
    ci_high: float
    worse_by: float
    allowed: float  # tolerance in metric units
    tolerance: Tolerance
    p_within: float  # bootstrap P(worsening <= allowed)
    higher_is_better: bool
    method: str
    failed: bool


def parse_tolerances(specs: list[str]) -> dict[str, Tolerance]:
    """Parse `METRIC=5%` (relative to the baseline value) or `METRIC=0.01` (absolute) specs.

    Example:
        >>> tolerances = parse_tolerances(["fd_shapes=5%", "attribute_accuracy=0.01"])
        >>> tolerances["fd_shapes"], tolerances["attribute_accuracy"]
        (Tolerance(amount=0.05, relative=True), Tolerance(amount=0.01, relative=False))
    """
    out: dict[str, Tolerance] = {}
    for spec in specs:
        m = _TOLERANCE.match(spec)
        if not m:
            raise InputError(f"tolerance {spec!r} must look like METRIC=5% (relative) or METRIC=0.01 (absolute)")
        name, amount, percent = m.group(1), float(m.group(2)), bool(m.group(3))
        if not math.isfinite(amount):
            raise InputError(f"tolerance {spec!r} must be a finite amount >= 0, such as {name}=5% or {name}=0.01")
        if name in out:
            raise InputError(f"--tolerance {name} given twice ({out[name]} and {spec!r}); give it once")
        out[name] = Tolerance(amount / 100.0 if percent else amount, percent)
    return out


def check_alpha(alpha: float) -> float:
    """`alpha` if it is a significance level in (0, 1); InputError otherwise (0, 1, negatives, nan, inf).

    Example:
        >>> check_alpha(0.05)
        0.05
    """
    if not isinstance(alpha, int | float) or not math.isfinite(alpha) or not 0.0 < alpha < 1.0:
        raise InputError(f"--alpha must be a significance level strictly between 0 and 1 (such as 0.05), got {alpha}")
    return float(alpha)


def check_records(
    new: dict[str, Any],
    baseline: dict[str, Any],
    tolerances: dict[str, Tolerance] | None = None,
    alpha: float = 0.05,
    sources: tuple[str, str] = ("NEW", "BASELINE"),
) -> list[MetricCheck]:
    """Per-metric verdicts of `new` against `baseline`, for the metrics both records hold (baseline order).

    A metric fails when it is worse than the baseline beyond its tolerance and that worsening is
    significant (one-sided at `alpha`): from paired bootstrap replicates when both records carry them,
    else a normal approximation from the recorded CIs.

    Args:
        new: the record under test.
        baseline: the accepted record, of the same suite and protocol.
        tolerances: metric -> allowed worsening (`parse_tolerances`); without one, none is allowed.
        alpha: one-sided significance level, in (0, 1).
        sources: the records' names in error messages.

    Raises:
        InputError: records of different protocols, a tolerance for a metric they do not share, or an
            alpha outside (0, 1).

    Example:
        >>> from pathlib import Path
        >>> import xmbench
        >>> from xmbench.results import read_record
        >>> folder = Path(xmbench.__file__).parents[1] / "leaderboards" / "results" / "shapes"  # in a clone
        >>> new = read_record(next(folder.glob("dfgan--*.json")))
        >>> old = read_record(next(folder.glob("gan-int-cls-s0--*.json")))
        >>> checks = check_records(new, old, parse_tolerances(["fd_shapes=5%"]))
        >>> [c.failed for c in checks if c.name == "fd_shapes"]
        [True]
        >>> any(c.failed for c in check_records(old, old))
        False
    """
    alpha = check_alpha(alpha)
    check_same_protocol([new, baseline], list(sources), what="check")
    tolerances = tolerances or {}
    shared = [m for m in baseline["metrics"] if defined(new, m) and defined(baseline, m)]
    for name in tolerances:
        if name not in shared:
            raise unknown_name("metric in --tolerance", name, shared)
    out = []
    for name in shared:
        old, cur = baseline["metrics"][name], new["metrics"][name]
        hib = bool(old["higher_is_better"])
        d = difference(cur, old, confidence=float(new["protocol"].get("confidence", 0.95)))
        sign = -1.0 if hib else 1.0
        tol = tolerances.get(name, Tolerance(0.0, False))
        allowed = tol.absolute(float(old["value"]))
        worse_by = sign * d.delta
        # P(worsening <= allowed): P(delta <= allowed) if lower is better, P(delta >= -allowed) otherwise
        p_within = d.prob_at_least(-allowed) if hib else d.prob_at_most(allowed)
        failed = worse_by > allowed and p_within < alpha
        out.append(
            MetricCheck(
                name,
                float(old["value"]),
                float(cur["value"]),
                d.delta,
                d.ci_low,
                d.ci_high,
                worse_by,
                allowed,
                tol,
                p_within,
                hib,
                d.method,
                failed,
            )
        )
    return out


def format_checks(checks: list[MetricCheck], new: dict[str, Any], baseline: dict[str, Any], alpha: float = 0.05) -> str:
    """A plain-text table of the verdicts, the rule they follow, and a summary line."""
    methods = sorted({_METHODS[c.method] for c in checks})
    width = max([24, *(len(c.name) + 2 for c in checks)])
    lines = [
        f"check {new['model']['name']} against baseline {baseline['model']['name']} ({len(checks)} metrics; "
        f"fail = worse beyond tolerance and significant; {', '.join(methods)})",
        f"{'metric':{width}s} {'baseline':>10s} {'new':>10s} {'delta [95% CI]':>30s} {'tolerance':>10s} "
        f"{'p(within)':>9s}  verdict",
    ]
    for c in checks:
        arrow = "↑" if c.higher_is_better else "↓"
        ci = f"{_signed(c.delta)} [{_signed(c.ci_low)}, {_signed(c.ci_high)}]"
        verdict = "FAIL" if c.failed else ("worse" if c.worse_by > c.allowed else "ok")
        lines.append(
            f"{c.name + ' ' + arrow:{width}s} {format_value(c.baseline):>10s} {format_value(c.new):>10s} "
            f"{ci:>30s} {str(c.tolerance):>10s} {c.p_within:9.3f}  {verdict}"
        )
    checked = {c.name for c in checks}
    missing = [m for m in baseline["metrics"] if m not in checked]
    if missing:
        lines.append(f"note: not checked (absent or undefined in one record): {', '.join(missing)}")
    lines.extend(verdict_rule(checks, alpha))
    failed = [c.name for c in checks if c.failed]
    lines.append(
        f"FAILED: {', '.join(failed)} significantly worse than the baseline"
        if failed
        else "passed: no metric is significantly worse than the baseline beyond its tolerance"
    )
    return "\n".join(lines)


def verdict_rule(checks: list[MetricCheck], alpha: float) -> list[str]:
    """The lines that state how the verdicts were reached, naming the metrics each method served."""
    by_method = {m: [c.name for c in checks if c.method == m] for m in _METHODS}
    lines = [
        f"rule: FAIL when NEW is worse than the baseline by more than the tolerance AND p(within) < alpha = {alpha:g}.",
        "  p(within) is the one-sided probability, under the distribution of the difference NEW - baseline, that "
        "the worsening is at most the tolerance (a one-sided test at level alpha).",
        f"  A one-sided test at {alpha:g} uses one tail only: a metric whose two-sided {100 * (1 - 2 * alpha):g}% "
        "interval lies beyond the tolerance fails even if its two-sided 95% interval still contains 0.",
    ]
    for method, names in by_method.items():
        if names:
            lines.append(f"  {_METHODS[method]}: {', '.join(names)}")
    return lines


_METHODS = {
    "bootstrap": "difference from paired bootstrap replicates",
    "normal": "normal approximation with SEs from the bootstrap CIs",
}


def _signed(v: float) -> str:
    return ("+" if v >= 0 else "") + format_value(v)
