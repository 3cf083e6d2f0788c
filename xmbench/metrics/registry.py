"""Metric registry: names the Evaluator understands, what each needs, and the adapter contract.

A registered factory is called as `factory(ctx: MetricContext) -> EvalMetric`. The Evaluator runs the
extractor once per batch and hands every metric the same `outputs` dict, holding the keys it asked
for in `needs`:

- extractor outputs: "features" (N,D), "logits" (N,C), "image_embed" (N,E), "attributes";
- "text_embed" (N,E): `extractor.text(captions)`, computed once per batch when any metric needs it;
- "captions": list[str] of the batch; "attribute_records": list[dict] (the suite's records), when given;
- "prompts": list[int], the prompt index of each image (always present: one prompt per image unless the
  caller groups several images per prompt);
- "training" is not a key of `outputs`: a metric needing it reads `ctx.training` (a
  `xmbench.metrics.memorisation.TrainingSet`, given to the Evaluator).
Keys a metric did not ask for may be present too (e.g. "attribute_records" whenever the caller passed them).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xmbench.errors import InputError
from xmbench.extractors.base import ExtractorInfo
from xmbench.metrics.defaults import DEFAULT_SEED
from xmbench.metrics.options import Option, check_metric_options
from xmbench.registry import METRICS

if TYPE_CHECKING:
    from xmbench.metrics.memorisation import TrainingSet
    from xmbench.metrics.reference import ReferenceStats
    from xmbench.metrics.value import MetricValue

#: the keys a metric may name in `needs`
KNOWN_NEEDS = frozenset(
    {
        *("features", "logits", "image_embed", "text_embed", "attributes"),
        *("captions", "attribute_records", "prompts", "training"),
    }
)


@dataclass
class MetricContext:
    """What a metric factory gets: the extractor it is fed from, the reference, seed (default 2020), CI
    settings, its options and, for metrics needing "training", the training set.

    Example:
        >>> from xmbench.extractors.base import ExtractorInfo
        >>> MetricContext(ExtractorInfo("toy-v1", "", None, "none", 8)).seed
        2020
    """

    extractor: ExtractorInfo
    reference: ReferenceStats | None = None
    seed: int = DEFAULT_SEED
    bootstrap: int = 1000  # resamples for CIs; 0 disables CIs (and per-sample storage they need)
    confidence: float = 0.95
    options: dict[str, Any] = field(default_factory=dict)  # per-metric options, e.g. {"subsets": 50}
    training: TrainingSet | None = None  # what memorisation compares with


class EvalMetric(ABC):
    """A metric as the Evaluator drives it: fed per batch, computed once at the end."""

    @abstractmethod
    def update(self, outputs: Mapping[str, Any]) -> None:
        """Feed one batch of generated samples (see the module docstring for the keys)."""

    def update_reference(self, outputs: Mapping[str, Any]) -> None:  # noqa: B027 - optional hook
        """Feed one batch of real (reference) images' extractor outputs; default: not used."""

    @abstractmethod
    def compute(self) -> list[MetricValue]:
        """The metric's values (one or more MetricValue) over everything fed so far."""


MetricFactory = Callable[[MetricContext], EvalMetric]


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric: its factory, the inputs it needs, its VERSION and its direction.

    version: bumped by hand whenever the metric's outputs change (golden-value tests enforce it); result
    caches and records key on it. higher_is_better: the direction of every value the metric reports.

    Example:
        >>> MetricSpec("mine", factory=print, needs=frozenset({"features"}), version=3).version
        3
    """

    name: str
    factory: MetricFactory
    needs: frozenset[str]
    version: int = 1
    higher_is_better: bool | None = None
    options: Mapping[str, Option] = field(default_factory=dict)  # what ctx.options may hold, checked before work
    min_samples: Callable[[Mapping[str, Any]], int] | None = None  # fewest evaluated samples, given the options


def register_metric(
    name: str,
    factory: MetricFactory,
    needs: frozenset[str],
    *,
    version: int = 1,
    higher_is_better: bool | None = None,
    options: Mapping[str, Option] | None = None,
    min_samples: Callable[[Mapping[str, Any]], int] | None = None,
) -> None:
    """Register `factory(ctx) -> EvalMetric` under `name` in xmbench.registry.METRICS.

    `needs` from KNOWN_NEEDS; `version` ≥ 1, bumped by hand when the metric's outputs change;
    `higher_is_better` the direction of every value it reports; `options` the options the metric reads
    from ctx.options (unknown keys and bad values are refused before any work); `min_samples(options)`
    the fewest evaluated samples it can be computed on. Built-in metric modules are named in
    METRICS' preload; a plugin's entry point in the group "xmbench.metrics" points at a MetricSpec.

    Example:
        >>> register_metric("bogus", print, frozenset({"pixels"}))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: metric 'bogus' needs unknown inputs ['pixels']; known: [...]
    """
    unknown = set(needs) - KNOWN_NEEDS
    if unknown:
        raise InputError(f"metric {name!r} needs unknown inputs {sorted(unknown)}; known: {sorted(KNOWN_NEEDS)}")
    if not isinstance(version, int) or version < 1:
        raise InputError(f"metric {name!r}: version must be an int ≥ 1, got {version!r}")
    spec = MetricSpec(name, factory, frozenset(needs), version, higher_is_better, dict(options or {}), min_samples)
    METRICS.register(name, spec)


def list_metrics() -> dict[str, frozenset[str]]:
    """Registered metric name -> the inputs it needs.

    Example:
        >>> sorted(list_metrics()["clip_score"])
        ['image_embed', 'text_embed']
    """
    return {name: get_metric_spec(name).needs for name in sorted(METRICS.names())}


def get_metric_spec(name: str) -> MetricSpec:
    """The registered spec of `name`; InputError suggesting close names otherwise.

    Example:
        >>> spec = get_metric_spec("kid")
        >>> spec.version >= 1, spec.higher_is_better
        (True, False)
        >>> get_metric_spec("kidd")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: unknown metric 'kidd'; did you mean 'kid'?
    """
    spec = METRICS.get(name)
    if not isinstance(spec, MetricSpec):
        raise InputError(f"metric {name!r} is a {type(spec).__name__}, not a MetricSpec; point its entry point at one")
    return spec


def check_options_of(name: str, options: Mapping[str, Any], samples: int | None = None) -> None:
    """InputError (one line) for options metric `name` does not take or values out of range, and, given
    the number of evaluated `samples`, for a count the metric cannot be computed on."""
    spec = get_metric_spec(name)
    check_metric_options(name, spec.options, options)
    need = spec.min_samples(options) if spec.min_samples and samples is not None else 0
    if samples is not None and samples < need:
        raise InputError(
            f"metric {name!r} needs at least {need} evaluated samples with these options, the run has {samples}; "
            "evaluate more samples or change the metric's options"
        )


def metric_version(name: str) -> int:
    """The recipe version of metric `name` (bumped by hand when its values change); records and caches key on it.

    Example:
        >>> metric_version("prdc")  # 2: density / coverage ties follow Naeem et al.'s prdc
        2
    """
    return get_metric_spec(name).version
