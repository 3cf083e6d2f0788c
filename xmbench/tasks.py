"""The tasks xmbench evaluates and the scale calibration models mark, named once for every layer.

Example:
    >>> TASKS
    ('text-to-image', 'image-to-text')
    >>> "floor" in CALIBRATION_ROLES
    True
"""

from __future__ import annotations

TEXT_TO_IMAGE = "text-to-image"
IMAGE_TO_TEXT = "image-to-text"
#: [evaluation] task values and result records' "task"; the first is the default
TASKS = (TEXT_TO_IMAGE, IMAGE_TO_TEXT)
#: model kinds: a [[models]] table's source key and a record's model.kind ("captioner" is a config-only
#: shorthand an image -> text run resolves to calibration or baseline)
MODEL_KINDS = (
    "baseline",
    "checkpoint",
    "import",
    "calibration",
    "diffusers",
    "transformers",
    "samples",
    "predictions",
)
#: where a calibration model sits on a leaderboard's scale (its class's `role`; records' model.calibration)
CALIBRATION_ROLES = ("ceiling", "reference", "floor")
#: [evaluation] robustness variants per task: prompt rewrites (from the suite's rewrite table) for
#: generators, image perturbations for captioners
ROBUSTNESS = {TEXT_TO_IMAGE: ("paraphrase", "typo", "clause_order"), IMAGE_TO_TEXT: ("photometric",)}

__all__ = ["CALIBRATION_ROLES", "IMAGE_TO_TEXT", "MODEL_KINDS", "ROBUSTNESS", "TASKS", "TEXT_TO_IMAGE"]
