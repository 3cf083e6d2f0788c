"""Declared options of metrics: each option's type and range, checked where the user gives them.

A metric registers `options={"subsets": Option(int, low=1), ...}`; `check_metric_options` refuses
unknown keys (with the closest known name) and values of the wrong type or range, in one line, before
any work. `bootstrap` (resamples, >= 0) is accepted by every metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xmbench.errors import InputError, unknown_name


@dataclass(frozen=True)
class Option:
    """An option's kind ("int", "number", "choice"), bounds, choices, and whether null is allowed."""

    kind: str
    low: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    high: float | None = None

    def check(self, metric: str, key: str, value: Any) -> None:
        """InputError naming `metric` and `key` unless `value` fits.

        Example:
            >>> Option("int", low=1).check("kid", "subsets", 50)
            >>> Option("number", low=0.0, high=0.5).check("memorisation", "quantile", 0.9)
            Traceback (most recent call last):
            ...
            xmbench.errors.InputError: option 'quantile' of metric 'memorisation' must be at most 0.5, got 0.9
        """
        if value is None and self.nullable:
            return
        where = f"option {key!r} of metric {metric!r}"
        if self.kind == "choice":
            if value not in self.choices:
                raise InputError(f"{where} must be one of {', '.join(map(repr, self.choices))}, got {value!r}")
            return
        integer = isinstance(value, int) and not isinstance(value, bool)
        number = integer or (isinstance(value, float) and math.isfinite(value))
        if not (integer if self.kind == "int" else number):
            want = "a whole number" if self.kind == "int" else "a finite number"
            raise InputError(f"{where} must be {want}{' or null' if self.nullable else ''}, got {value!r}")
        if self.low is not None and value < self.low:
            raise InputError(f"{where} must be at least {self.low:g}, got {value!r}")
        if self.high is not None and value > self.high:
            raise InputError(f"{where} must be at most {self.high:g}, got {value!r}")


#: accepted by every metric: its own number of bootstrap resamples
COMMON = {"bootstrap": Option("int", low=0)}


def check_metric_options(metric: str, declared: Mapping[str, Option], given: Mapping[str, Any]) -> None:
    """InputError for the first option in `given` that `metric` does not declare or whose value does not fit.

    Example:
        >>> try:
        ...     check_metric_options("kid", {"subsets": Option("int", low=1)}, {"subset": 5})
        ... except InputError as e:
        ...     print(e)
        unknown kid option 'subset'; did you mean 'subsets'?
    """
    allowed = {**COMMON, **declared}
    for key, value in given.items():
        if key not in allowed:
            raise unknown_name(f"{metric} option", key, allowed)
        allowed[key].check(metric, key, value)
