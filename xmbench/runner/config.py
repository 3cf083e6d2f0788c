"""Run configuration: a TOML file (or the embedded default) parsed into a validated RunConfig.

Every error names the file and the line: a TOML syntax error with tomllib's position, a semantic
error (unknown key, wrong type, unknown name) with the line of the offending key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from xmbench.errors import InputError, XmbenchError, unknown_name
from xmbench.tasks import MODEL_KINDS, ROBUSTNESS, TASKS, TEXT_TO_IMAGE
from xmbench.textfile import read_text_bounded

DEFAULT_CONFIG_NAME = "default.toml"
#: the embedded image -> text run; `xmbench run` without a config runs both
DEFAULT_CAPTIONING_CONFIG_NAME = "default-captioning.toml"
#: captions per generation chunk: chunk boundaries key the sample cache and derive the seeds, and
#: chunks are the unit a torchrun launch shards across processes
DEFAULT_CHUNK = 250
MODEL_SOURCES = MODEL_KINDS
#: [evaluation] extractor when the config names none, by suite (others: shapes-v1)
DEFAULT_EXTRACTORS = {"shapes-skills": "shapes-skills-v1"}
#: keys of [evaluation] that only text -> image runs read
TEXT_TO_IMAGE_ONLY = ("reference_split", "reference_samples", "reference_stats", "images_per_prompt")


@dataclass(frozen=True)
class ModelSpec:
    """One model to evaluate. kind: one of MODEL_SOURCES, or "captioner" (a registered captioner or
    calibration captioner, image -> text runs only); source: the baseline / calibration / captioner
    name, checkpoint path or `pkg.module:factory` import path; steps: training budget (None: the
    baseline's)."""

    name: str
    kind: str
    source: str
    options: dict[str, Any] = field(default_factory=dict)
    steps: int | None = None
    seed: int = 0
    line: int = 0
    train: bool = False  # train even when a shipped checkpoint has this exact recipe
    group: str | None = None  # the [[models]] name of a model trained with several `seeds`


@dataclass(frozen=True)
class RunConfig:
    """A validated run: suite, evaluation protocol, models. Sample counts are numbers of captions."""

    path: str
    suite: str
    suite_options: dict[str, Any]
    split: str | None  # evaluation captions' split; None: the suite's eval split
    samples: int  # evaluation captions: indices 0 .. samples-1 of `split`
    reference_split: str  # real images for the reference statistics
    reference_samples: int
    seed: int
    extractor: str
    extractor_options: dict[str, Any]
    metrics: tuple[str, ...] | None  # None: every metric the extractor supports
    bootstrap: int
    confidence: float
    batch_size: int
    rank_by: str | None
    device: str
    models: tuple[ModelSpec, ...]
    train_options: dict[str, Any] = field(default_factory=dict)
    metric_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # e.g. {"kid": {"subsets": 50}}
    key_lines: dict[str, int] = field(default_factory=dict)  # "evaluation.metrics" -> line in the file
    chunk: int = DEFAULT_CHUNK  # captions (images, image -> text) per generation chunk (part of the protocol)
    task: str = TEXT_TO_IMAGE  # one of xmbench.tasks.TASKS
    reference_stats: str | None = None  # published mu / sigma (npz) standing in for the reference images
    images_per_prompt: int = 1  # images generated per evaluation caption (text -> image)
    robustness: tuple[str, ...] = ()  # robustness variants (xmbench.tasks.ROBUSTNESS of the task)

    def limited(self, limit: int | None) -> RunConfig:
        """The same run on at most `limit` evaluation and reference samples (`--limit`)."""
        if limit is None:
            return self
        if limit < 2:
            raise InputError(f"--limit {limit} is too small; pass at least 2 (metrics need two samples)")
        return replace(self, samples=min(self.samples, limit), reference_samples=min(self.reference_samples, limit))


# schema: table -> key -> (types, required)
_SCALAR = {
    "suite": {"name": (str,), "resolution": (int,), "seed": (int,), "root": (str,)},
    "evaluation": {
        "split": (str,),
        "samples": (int,),
        "reference_split": (str,),
        "reference_samples": (int,),
        "reference_stats": (str,),
        "seed": (int,),
        "extractor": (str,),
        "weights": (str,),
        "metrics": (str, list),
        "bootstrap": (int,),
        "confidence": (float,),
        "batch_size": (int,),
        "rank_by": (str,),
        "device": (str,),
        "chunk": (int,),
        "task": (str,),
        "images_per_prompt": (int,),
        "robustness": (list,),
    },
    "training": {"device": (str,), "quiet": (bool,), "checkpoint_every": (int,), "train_limit": (int,)},
}
_MODEL_KEYS = {
    "name": (str,),
    **{k: (str,) for k in (*MODEL_SOURCES, "captioner")},
    "steps": (int,),
    "seed": (int,),
    "seeds": (list,),
    "train": (bool,),
    "options": (dict,),
}


def default_config_text(name: str = DEFAULT_CONFIG_NAME) -> tuple[str, str]:
    """(label, text) of a configuration shipped in the package (default: the text -> image run)."""
    text = resources.files("xmbench.runner").joinpath(name).read_text(encoding="utf-8")
    return f"<default config {name}>", text


def default_configs() -> list[RunConfig]:
    """The embedded runs of `xmbench run` without a config: text -> image, then image -> text."""
    return [
        parse_config(*reversed(default_config_text(n))) for n in (DEFAULT_CONFIG_NAME, DEFAULT_CAPTIONING_CONFIG_NAME)
    ]


#: a config is a few kilobytes; a larger file is not one
MAX_CONFIG_BYTES = 1 << 20


def load_config(path: str | Path | None = None) -> RunConfig:
    """Read and validate a TOML run config; None loads the embedded default (`default.toml`).

    Example:
        >>> config = load_config()
        >>> config.suite, config.samples, [m.name for m in config.models][:4]
        ('shapes', 2000, ['gan-int-cls-s0', 'gan-int-cls-s1', 'gan-int-cls-s2', 'stackgan'])
    """
    if path is None:
        label, text = default_config_text()
    else:
        label = str(path)
        if not Path(path).exists():
            raise InputError(f"config file {path} does not exist; pass a TOML file (or no CONFIG for the default)")
        text = read_text_bounded(path, MAX_CONFIG_BYTES, "config file")
    return parse_config(text, label)


def parse_config(text: str, label: str = "<config>") -> RunConfig:
    """Parse TOML `text` into a validated RunConfig.

    Args:
        text: the config's TOML (tables `suite`, `evaluation`, `metric_options`, `training`, `models`).
        label: the file name used in error messages.

    Raises:
        InputError: `label:line: ...` for malformed TOML, an unknown key (suggesting close ones), a wrong
            type or a model table that names no source or several.

    Example:
        >>> text = '[evaluation]\\nsamples = 100\\n[[models]]\\nname = "floor"\\ncalibration = "noise"\\n'
        >>> config = parse_config(text, "my.toml")
        >>> config.suite, config.samples, config.models[0].kind
        ('shapes', 100, 'calibration')
        >>> parse_config("[evaluation]\\nsamplez = 100\\n", "my.toml")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: my.toml:2: unknown key in [evaluation] 'samplez'; did you mean 'samples'?
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        where = f"{label}:{m.group(1)}:{m.group(2)}" if m else label
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e)) or "invalid TOML"
        raise InputError(f"{where}: malformed TOML: {msg}") from None
    return _Validator(text, label).config(data)


class _Validator:
    """Checks parsed TOML against the schema, locating each problem's line in the source text."""

    def __init__(self, text: str, label: str) -> None:
        self.lines = text.splitlines()
        self.label = label

    # -- locating lines -------------------------------------------------------------------------
    def line_of(self, table: str | None, key: str | None = None, index: int | None = None) -> int:
        """1-based line of `key` in `table` (the index-th `[[table]]`), else of the header, else 1."""
        current, count, header_line = None, -1, 0
        for n, line in enumerate(self.lines, 1):
            h = re.match(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?", line)
            if h:
                current = h.group(2)
                if current == table:
                    count += 1
                    if index is None or count == index:
                        header_line = header_line or n
                continue
            in_place = current == table and (index is None or count == index)
            if table is None:
                in_place = current is None
            if in_place and key is not None and re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line):
                return n
        return header_line or 1

    def fail(self, message: str, table: str | None, key: str | None = None, index: int | None = None) -> XmbenchError:
        return InputError(f"{self.label}:{self.line_of(table, key, index)}: {message}")

    # -- checking -------------------------------------------------------------------------------
    def check_keys(
        self, values: dict[str, Any], schema: dict[str, tuple], table: str, index: int | None = None
    ) -> None:
        for key, value in values.items():
            if key not in schema:
                raise self.fail(str(unknown_name(f"key in [{table}]", key, schema)), table, key, index)
            types = schema[key]
            ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
            if float in types and isinstance(value, int) and not isinstance(value, bool):
                ok = True
            if not ok:
                names = " or ".join(
                    {
                        str: "a string",
                        int: "an integer",
                        float: "a number",
                        bool: "true/false",
                        list: "a list",
                        dict: "a table",
                    }[t]
                    for t in types
                )
                raise self.fail(f"[{table}] {key} must be {names}, not {value!r}", table, key, index)

    def positive(self, values: dict[str, Any], key: str, table: str, minimum: int = 1) -> None:
        if key in values and values[key] < minimum:
            raise self.fail(f"[{table}] {key} must be at least {minimum}, not {values[key]}", table, key)

    def sections(self, data: dict[str, Any]) -> None:
        for top, value in data.items():
            if top not in (*_SCALAR, "models", "metric_options"):
                raise self.fail(str(unknown_name("section", top, [*_SCALAR, "models", "metric_options"])), top)
            if top != "models" and not isinstance(value, dict):
                raise self.fail(f"{top} must be a table [{top}]", None, top)

    def counts(self, ev: dict[str, Any]) -> None:
        """[evaluation]'s sample counts, batch, chunk, bootstrap and confidence."""
        for key in ("samples", "reference_samples", "batch_size", "chunk", "images_per_prompt"):
            self.positive(ev, key, "evaluation", 2 if key.endswith("samples") else 1)
        self.positive(ev, "bootstrap", "evaluation", 0)
        if "confidence" in ev and not 0.5 <= ev["confidence"] < 1.0:
            raise self.fail(
                f"[evaluation] confidence must lie in [0.5, 1), not {ev['confidence']}", "evaluation", "confidence"
            )

    def metric_list(self, metrics: Any) -> None:
        if isinstance(metrics, str) and metrics != "all":
            raise self.fail(
                f'[evaluation] metrics must be "all" or a list of names, not {metrics!r}', "evaluation", "metrics"
            )
        if isinstance(metrics, list) and (not metrics or not all(isinstance(m, str) for m in metrics)):
            raise self.fail("[evaluation] metrics must be a non-empty list of metric names", "evaluation", "metrics")

    def metric_tables(self, metric_options: dict[str, Any]) -> None:
        for name, opts in metric_options.items():
            if not isinstance(opts, dict):
                raise self.fail(
                    f"metric_options.{name} must be a table of options, e.g. [metric_options.kid] subsets = 50",
                    "metric_options",
                    name,
                )

    def config(self, data: dict[str, Any]) -> RunConfig:
        self.sections(data)
        suite = data.get("suite", {})
        ev = data.get("evaluation", {})
        tr = data.get("training", {})
        for name, values in (("suite", suite), ("evaluation", ev), ("training", tr)):
            self.check_keys(values, _SCALAR[name], name)
        self.counts(ev)
        task = self.task(ev)
        robustness = self.robustness(ev.get("robustness", []), task)
        metrics = ev.get("metrics", "all")
        self.metric_list(metrics)
        metric_options = data.get("metric_options", {})
        self.metric_tables(metric_options)
        models = self.models(data.get("models"), task)
        suite_options = {k: v for k, v in suite.items() if k != "name"}
        return RunConfig(
            path=self.label,
            suite=suite.get("name", "shapes"),
            suite_options=suite_options,
            split=ev.get("split"),
            samples=ev.get("samples", 2000),
            reference_split=ev.get("reference_split", "val"),
            reference_samples=ev.get("reference_samples", 2000),
            seed=ev.get("seed", 0),
            extractor=ev.get("extractor", DEFAULT_EXTRACTORS.get(suite.get("name", "shapes"), "shapes-v1")),
            extractor_options={"weights": ev["weights"]} if "weights" in ev else {},
            metrics=None if metrics == "all" else tuple(metrics),
            bootstrap=ev.get("bootstrap", 200),
            confidence=float(ev.get("confidence", 0.95)),
            batch_size=ev.get("batch_size", 500),
            rank_by=ev.get("rank_by"),
            device=ev.get("device", "auto"),
            models=models,
            train_options=dict(tr),
            metric_options={k: dict(v) for k, v in metric_options.items()},
            chunk=ev.get("chunk", DEFAULT_CHUNK),
            task=task,
            reference_stats=ev.get("reference_stats"),
            images_per_prompt=ev.get("images_per_prompt", 1),
            robustness=robustness,
            key_lines={
                **{
                    f"{t}.{k}": self.line_of(t, k)
                    for t, values in (("suite", suite), ("evaluation", ev), ("training", tr))
                    for k in values
                },
                **{
                    f"metric_options.{k}": self.line_of(f"metric_options.{k}")
                    if self.line_of(f"metric_options.{k}") > 1
                    else self.line_of("metric_options", k)
                    for k in metric_options
                },
            },
        )

    def task(self, ev: dict[str, Any]) -> str:
        task = ev.get("task", TASKS[0])
        if task not in TASKS:
            raise self.fail(str(unknown_name("[evaluation] task", task, TASKS)), "evaluation", "task")
        for key in TEXT_TO_IMAGE_ONLY:
            if task != TASKS[0] and key in ev:
                raise self.fail(
                    f"[evaluation] {key} applies to text-to-image runs only; image-to-text runs score "
                    "captions against each image's references: remove it",
                    "evaluation",
                    key,
                )
        return task

    def robustness(self, variants: list[Any], task: str) -> tuple[str, ...]:
        """[evaluation] robustness: distinct variant names of the run's task."""
        known = ROBUSTNESS[task]
        for variant in variants:
            if not isinstance(variant, str):
                raise self.fail(
                    f"[evaluation] robustness must list variant names, e.g. {list(known)}, not {variant!r}",
                    "evaluation",
                    "robustness",
                )
            other = next((t for t, names in ROBUSTNESS.items() if t != task and variant in names), None)
            if other is not None:
                raise self.fail(
                    f"[evaluation] robustness variant {variant!r} applies to {other} runs; {task} runs take "
                    f"{', '.join(map(repr, known))}",
                    "evaluation",
                    "robustness",
                )
            if variant not in known:
                raise self.fail(str(unknown_name("robustness variant", variant, known)), "evaluation", "robustness")
        if len(set(variants)) != len(variants):
            raise self.fail(f"[evaluation] robustness {variants} repeats a variant", "evaluation", "robustness")
        return tuple(variants)

    def models(self, models: Any, task: str = TASKS[0]) -> tuple[ModelSpec, ...]:
        if models is None or models == []:
            raise self.fail(
                f"no models: add at least one [[models]] table with a name and one of {', '.join(MODEL_SOURCES)}",
                None,
            )
        if not isinstance(models, list):
            raise self.fail("models must be an array of tables: write [[models]], not [models]", "models")
        out, names = [], set()
        for i, m in enumerate(models):
            self.check_keys(m, _MODEL_KEYS, "models", i)
            allowed = MODEL_SOURCES if task == TASKS[0] else (*MODEL_SOURCES, "captioner")
            if task == TASKS[0] and "captioner" in m:
                raise self.fail(
                    f"model #{i + 1}: captioner applies to image-to-text runs; set [evaluation] task = "
                    '"image-to-text" or name a generator',
                    "models",
                    "captioner",
                    i,
                )
            sources = [k for k in allowed if k in m]
            if len(sources) != 1:
                raise self.fail(
                    f"model #{i + 1} needs exactly one of {', '.join(allowed)}"
                    f"{' (got ' + ', '.join(sources) + ')' if sources else ''}",
                    "models",
                    None,
                    i,
                )
            kind = sources[0]
            name = m.get("name", m[kind] if kind in ("baseline", "calibration", "captioner") else None)
            if not name:
                raise self.fail(f"model #{i + 1} needs a name", "models", None, i)
            if name in names:
                raise self.fail(f"two models are named {name!r}; give each a distinct name", "models", "name", i)
            names.add(name)
            self.check_training_keys(m, name, kind, i)
            seeds = self.training_seeds(m, name, i)
            for seed in seeds or [m.get("seed", 0)]:
                member = f"{name}-s{seed}" if seeds else name
                if seeds and member in names:
                    raise self.fail(f"two models are named {member!r}; rename one", "models", "seeds", i)
                names.add(member)
                out.append(
                    ModelSpec(
                        name=member,
                        kind=kind,
                        source=m[kind],
                        options=dict(m.get("options", {})),
                        steps=m.get("steps"),
                        seed=seed,
                        line=self.line_of("models", kind, i),
                        train=m.get("train", False),
                        group=name if seeds else None,
                    )
                )
        return tuple(out)

    def check_training_keys(self, m: dict[str, Any], name: str, kind: str, i: int) -> None:
        """steps belongs to trainable models (baselines, captioners), seeds and train to baselines; steps >= 1."""
        for key in ("steps", "seeds", "train"):
            if key in m and kind not in (("baseline", "captioner") if key == "steps" else ("baseline",)):
                raise self.fail(
                    f"model {name!r}: {key} applies only to a baseline that xmbench trains", "models", key, i
                )
        if "steps" in m and m["steps"] < 1:
            raise self.fail(f"model {name!r}: steps must be at least 1, not {m['steps']}", "models", "steps", i)

    def training_seeds(self, m: dict[str, Any], name: str, i: int) -> list[int] | None:
        """The model's `seeds` list (None without one), checked: distinct integers, not beside `seed`."""
        if "seeds" not in m:
            return None
        seeds = m["seeds"]
        if "seed" in m:
            raise self.fail(f"model {name!r}: give seed or seeds, not both", "models", "seeds", i)
        if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise self.fail(
                f"model {name!r}: seeds must be a non-empty list of integers, e.g. seeds = [0, 1, 2]",
                "models",
                "seeds",
                i,
            )
        if len(set(seeds)) != len(seeds):
            raise self.fail(f"model {name!r}: seeds {seeds} repeat a seed", "models", "seeds", i)
        return list(seeds)


def located(config: RunConfig, where: ModelSpec | str, error: XmbenchError) -> InputError:
    """`error` prefixed with the config file and line of a model or a "table.key" (for names checked
    after parsing, e.g. unknown baselines or metrics)."""
    line = where.line if isinstance(where, ModelSpec) else config.key_lines.get(where, 1)
    return InputError(f"{config.path}:{line}: {error}")
