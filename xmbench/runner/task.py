"""The seam between the one runner loop and a task (text -> image, image -> text, ...).

`xmbench.runner.pipeline.run` does everything a task does not own: processes and devices, the
cache, model resolution (`xmbench.runner.models`), record assembly and reuse (`record`), warnings,
timings, the collective writes and publishing. A task module owns what differs: its config checks,
its fixed inputs, the protocol it records, and the evaluation of one prepared model. A new task is
one module implementing `Task`, listed in `pipeline.TASKS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from xmbench.data.base import Suite
from xmbench.runner.models import PreparedModel


@dataclass
class Evaluation:
    """One model's evaluation, on rank 0.

    sections: record sections the task fills ("metrics" always; "samples", "worst_captions",
    "per_attribute" where it has them); generate_s / evaluate_s: seconds producing the model's
    outputs (images or captions) and scoring them.
    """

    sections: dict[str, Any]
    generate_s: float
    evaluate_s: float


class Task(Protocol):
    """One task of the runner, built per run by `Task(config, cache, device, quiet)`, which checks every
    name and option of the config (failing early, one located line) and builds the fixed inputs.

    Attributes:
        name: the config's and records' task string (`xmbench.tasks.TASKS`).
        suite, split: the evaluated suite and split.
        protocol: what makes two records comparable (recorded; it keys the record and the board).
        versions: requested metric name -> VERSION (a record is reused only while they hold).
        sampling_seed: the seed every model's outputs derive from (the record's seeds.sampling).
    """

    name: str
    suite: Suite
    split: str
    protocol: dict[str, Any]
    versions: dict[str, int]
    sampling_seed: int

    def start(self) -> None:
        """After the models were checked: load the extractor, build the fixed inputs and the protocol, and
        do the long work every model shares (reference statistics), once per run; every rank calls it."""

    def announce(self) -> str | None:
        """The run's start-up line (None: the command line's header says it all)."""

    def evaluate(self, model: PreparedModel) -> Evaluation | None:
        """Produce and score `model`'s outputs (every rank calls it; rank 0 returns the evaluation)."""


__all__ = ["Evaluation", "Task"]
