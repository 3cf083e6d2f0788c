"""Robustness scores: a judged accuracy on changed inputs, and its paired drop from the clean inputs.

The same units (prompts of a generator, images of a captioner) are judged twice: on the clean inputs
and on a variant (prompts rewritten, images perturbed). Both accuracies are ratios of right to judged
counts per unit; the drop is clean minus variant. Its interval is a paired bootstrap: each resample
draws the units once (`ratio_replicates` of both scores with one seed draws the same resamples) and
recomputes both accuracies on it, so the noise the two scores share cancels. Reported as
`robustness_<variant>` (higher is better) and `robustness_<variant>_drop` (lower is better; negative
when the variant scores higher).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xmbench.errors import InputError
from xmbench.metrics.attributes import ratio_replicates
from xmbench.metrics.bootstrap import bootstrap_value, check_bootstrap
from xmbench.metrics.defaults import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED
from xmbench.metrics.value import MetricValue

#: per unit: (right count, judged count)
Counts = tuple[np.ndarray, np.ndarray]


def paired_drop(
    variant: str,
    clean: Counts,
    changed: Counts,
    details: dict[str, Any],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
    unit: str = "prompts",
    skill: str | None = None,
) -> list[MetricValue]:
    """[`robustness_<variant>`, `robustness_<variant>_drop`] from per-unit counts of the clean and the
    changed inputs (the same units in the same order), with paired bootstrap CIs over units. With
    `skill` (the units are that skill's prompts) the names are `robustness_<variant>_<skill>[_drop]`.

    Example:
        >>> import numpy as np
        >>> ones = np.ones(4)
        >>> acc, drop = paired_drop("typo", (np.array([1, 1, 1, 0.0]), ones), (np.array([1, 0, 1, 0.0]), ones), {},
        ...                         resamples=50)
        >>> acc.value, drop.value, drop.higher_is_better, drop.ci_low <= 0.25 <= drop.ci_high
        (0.5, 0.25, False, True)
    """
    check_bootstrap(resamples, confidence)
    (rc, jc), (rv, jv) = (tuple(np.asarray(a, dtype=np.float64) for a in pair) for pair in (clean, changed))
    if not len(rc) == len(jc) == len(rv) == len(jv) or jc.sum() == 0 or jv.sum() == 0:
        raise InputError(f"robustness {variant!r} needs the same judged {unit} on clean and changed inputs")
    name = f"robustness_{variant}" if skill is None else f"robustness_{variant}_{skill}"
    accuracy, before = float(rv.sum() / jv.sum()), float(rc.sum() / jc.sum())
    changed_reps = ratio_replicates(rv, jv, resamples, seed)  # the same seed: the same resamples of units
    clean_reps = ratio_replicates(rc, jc, resamples, seed)
    drops = None if changed_reps is None or clean_reps is None else clean_reps - changed_reps
    details = {**details, "variant": variant, "clean": before, unit: len(rc), **({"skill": skill} if skill else {})}
    scope = f"the {variant} inputs" + (f", skill {skill}" if skill else "")
    scheme = f"paired: {unit} resampled with replacement, both scores on each resample"
    return [
        bootstrap_value(
            name,
            accuracy,
            len(rc),
            True,
            {**details, "scope": f"accuracy on {scope}"},
            changed_reps,
            confidence,
            scheme=scheme,
            bounds=(0.0, 1.0),
        ),
        bootstrap_value(
            f"{name}_drop",
            before - accuracy,
            len(rc),
            False,
            {**details, "scope": f"clean accuracy minus the accuracy on {scope}"},
            drops,
            confidence,
            scheme=scheme,
            bounds=(-1.0, 1.0),
        ),
    ]


__all__ = ["Counts", "paired_drop"]
