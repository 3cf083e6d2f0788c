"""Evaluator: one extractor pass per batch feeds every requested metric.

Each requested metric is driven by its adapter (registered in the metric's own module), which wraps
the metric's torchmetrics class; `compute()` returns every reported value as a MetricValue by name.

Memory: FD and CLIP score keep O(d²) / O(1) running sums; with bootstrap CIs (bootstrap > 0, the
default) the Evaluator also keeps per-sample outputs: N·D floats of features for FD (e.g. 10k × 2048
float32 = 82 MB), N floats for CLIP score. KID, PRDC, IS, R-precision and FD∞ always keep per-sample
outputs (their estimators need them); metrics share the same tensors, so each output is stored once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from xmbench.errors import InputError
from xmbench.extractors.base import Extractor
from xmbench.images import check_images
from xmbench.metrics.bootstrap import check_bootstrap
from xmbench.metrics.defaults import DEFAULT_SEED
from xmbench.metrics.fd import INCEPTION_FID_ID, FrechetDistance, fd_name
from xmbench.metrics.inputs import check_count
from xmbench.metrics.reference import ReferenceStats
from xmbench.metrics.registry import EvalMetric, MetricContext, check_options_of, get_metric_spec
from xmbench.metrics.value import MetricValue

if TYPE_CHECKING:
    from xmbench.metrics.memorisation import TrainingSet

_EXTRACTOR_KEYS = ("features", "logits", "image_embed", "attributes")


def extract_images(
    extractor: Extractor,
    images: torch.Tensor,
    name: str = "images",
    float_input: bool = False,
    needs: frozenset[str] | set[str] = frozenset(),
) -> dict[str, torch.Tensor]:
    """The extractor's outputs (on its device) for images uint8 (N,3,H,W) (float in [0,1] with
    float_input), validated first; InputError when an output in `needs` is missing.

    Example:
        >>> import torch
        >>> from xmbench.extractors import get_extractor
        >>> out = extract_images(get_extractor("shapes-v1"), torch.zeros(2, 3, 32, 32, dtype=torch.uint8))
        >>> tuple(out["features"].shape)
        (2, 256)
    """
    images = check_images(images, float_input=float_input, name=name)
    with torch.no_grad():
        outputs = dict(extractor.images(images.to(extractor.device)))
    for key in set(needs) & set(_EXTRACTOR_KEYS):
        if key not in outputs:
            raise InputError(f"extractor {extractor.info.id!r} returned no {key!r}; the metrics need it")
    return outputs


class Evaluator:
    """Feeds generated (and reference) images through `extractor` once per batch into every metric.

    Args:
        extractor: the frozen network whose outputs feed the metrics.
        metrics: registry names (`xmbench.metrics.list_metrics()`); "fid" is accepted only with the
            Inception extractor.
        reference: fixed reference statistics (else built from the images fed to update_reference).
        seed: seed of every metric's draws and of the bootstrap (default 2020, `DEFAULT_SEED`).
        bootstrap: resamples for percentile CIs (0: none); confidence: the CI level.
        options: per-metric options, e.g. {"kid": {"subsets": 50, "subset_size": 500},
            "r_precision": {"folds": 10}}; a per-metric "bootstrap" overrides the global count (e.g.
            {"fd": {"bootstrap": 200}}: each FD resample costs one d×d eigvalsh plus N·d² flops).
        float_input: accept float images in [0,1] (converted to uint8 by rounding).
        training: the training set of metrics that need "training" (memorisation).

    Images are grouped by prompt when `update` is given `prompts` (each image's prompt index: several
    images per prompt); without them each image is its own prompt, numbered in the order fed.

    Values keep each metric's one scale (e.g. clip_score = 100·mean max(cos, 0), kid = raw MMD²).

    Example:
        >>> from xmbench.data import get_suite
        >>> from xmbench.extractors import get_extractor
        >>> suite = get_suite("shapes")
        >>> real, fake = suite.batch("val", range(64)), suite.batch("test", range(64))
        >>> ev = Evaluator(get_extractor("shapes-v1"), ["fd", "clip_score"], bootstrap=0)
        >>> ev.update_reference(real.images)
        >>> ev.update(fake.images, fake.captions)
        >>> values = ev.compute()
        >>> sorted(values)
        ['clip_score', 'clip_score_hessel', 'fd_shapes']
        >>> 0 < values["clip_score"].value <= 100
        True
    """

    def __init__(
        self,
        extractor: Extractor,
        metrics: list[str],
        reference: ReferenceStats | None = None,
        seed: int = DEFAULT_SEED,
        bootstrap: int = 1000,
        confidence: float = 0.95,
        options: dict[str, dict[str, Any]] | None = None,
        float_input: bool = False,
        training: TrainingSet | None = None,
    ) -> None:
        check_bootstrap(bootstrap, confidence)
        if not metrics:
            raise InputError("no metrics requested; name at least one (see xmbench.metrics.list_metrics())")
        info = extractor.info
        if reference is not None:
            reference.check_compatible(info)
        self.extractor, self.seed, self.float_input = extractor, seed, float_input
        self._fixed_reference = reference
        self._real = FrechetDistance(info.feature_dim) if reference is None else None
        self.needs: set[str] = set()
        self.metrics: dict[str, EvalMetric] = {}
        self._contexts: list[MetricContext] = []
        options = options or {}
        for name in dict.fromkeys(metrics):
            key = self._resolve(name)
            spec = get_metric_spec(key)
            wanted = {k for k in spec.needs if k in _EXTRACTOR_KEYS} | (
                {"text"} if "text_embed" in spec.needs else set()
            )
            missing = wanted - set(info.yields) if info.yields else set()
            if missing:
                raise InputError(
                    f"metric {name!r} needs {sorted(missing)}, which extractor {info.id!r} does not "
                    f"yield (it yields {sorted(info.yields)}); choose another extractor"
                )
            if "training" in spec.needs and training is None:
                raise InputError(
                    f"metric {name!r} compares with the training set: pass Evaluator(..., training=TrainingSet(...))"
                )
            opts = dict(options.get(key, {}))
            check_options_of(key, opts)
            resamples = int(opts.pop("bootstrap", bootstrap))
            ctx = MetricContext(info, reference, seed, resamples, confidence, opts, training)
            check_bootstrap(ctx.bootstrap, confidence)
            self._contexts.append(ctx)
            self.metrics[key] = spec.factory(ctx)
            self.needs |= spec.needs
        self.n_generated = 0
        self.n_reference = 0

    def _resolve(self, name: str) -> str:
        info = self.extractor.info
        if name == "fid":
            if info.id != INCEPTION_FID_ID:
                raise InputError(
                    f"'fid' means Inception-v3 pool3 features; with extractor {info.id!r} ask for "
                    f"'fd' (reported as {fd_name(info)!r})"
                )
            return "fd"
        return name

    def _extract(self, images: torch.Tensor, name: str) -> dict[str, Any]:
        return extract_images(self.extractor, images, name, self.float_input, self.needs)

    def update(
        self,
        images: torch.Tensor,
        captions: list[str] | None = None,
        attributes: list[dict] | None = None,
        prompts: list[int] | None = None,
    ) -> None:
        """Feed generated images uint8 (N,3,H,W), their captions and (optionally) attribute records and
        prompt indices (several images of one prompt share its index)."""
        n = images.shape[0] if isinstance(images, torch.Tensor) and images.ndim == 4 else None
        self._check_inputs(n, captions, attributes, prompts)
        self.update_extracted(self.extract(images, captions), captions, attributes, prompts)

    def extract(self, images: torch.Tensor, captions: list[str] | None = None) -> dict[str, torch.Tensor]:
        """The extractor's outputs for generated images uint8 (N,3,H,W) (plus "text_embed" of the
        captions when a metric needs it): what update_extracted takes. Sharded runs call it on each
        process and feed the outputs, in order, to one Evaluator."""
        outputs = self._extract(images, "images")
        if captions is not None and "text_embed" in self.needs:
            with torch.no_grad():
                outputs["text_embed"] = self.extractor.text(list(captions))
        return outputs

    def update_extracted(
        self,
        outputs: dict[str, torch.Tensor],
        captions: list[str] | None = None,
        attributes: list[dict] | None = None,
        prompts: list[int] | None = None,
    ) -> None:
        """Feed the outputs of `extract` (computed here or in another process), with the same
        captions, attribute records and prompt indices as `update` takes; the metrics see exactly what
        update feeds."""
        n = next(iter(outputs.values())).shape[0]
        self._check_inputs(n, captions, attributes, prompts)
        outputs = dict(outputs)
        if "text_embed" in self.needs and "text_embed" not in outputs:
            raise InputError("the outputs lack 'text_embed': pass the captions to extract()")
        if captions is not None:
            outputs["captions"] = list(captions)
        if attributes is not None:
            outputs["attribute_records"] = list(attributes)
        outputs["prompts"] = list(range(self.n_generated, self.n_generated + n)) if prompts is None else list(prompts)
        for metric in self.metrics.values():
            metric.update(outputs)
        self.n_generated += n

    def _check_inputs(
        self, n: int | None, captions: list[str] | None, attributes: list[dict] | None, prompts: list[int] | None
    ) -> None:
        if prompts is not None and n is not None and len(prompts) != n:
            raise InputError(f"{len(prompts)} prompt indices for {n} images; pass one prompt index per image")
        text_needed = bool(self.needs & {"text_embed", "captions"})
        if captions is None and text_needed:
            raise InputError(
                "the metrics "
                + ", ".join(self._needing({"text_embed", "captions"}))
                + " need the captions: pass update(images, captions)"
            )
        if captions is not None and n is not None and len(captions) != n:
            raise InputError(f"{len(captions)} captions for {n} images; pass one caption per image")
        if attributes is not None and n is not None and len(attributes) != n:
            raise InputError(f"{len(attributes)} attribute records for {n} images; pass one record per image")
        if attributes is None and "attribute_records" in self.needs:
            raise InputError(
                "the metrics "
                + ", ".join(self._needing({"attribute_records"}))
                + " need attribute records: pass update(images, captions, attributes)"
            )

    def update_reference(self, images: torch.Tensor) -> None:
        """Feed real images: reference statistics (unless fixed) and reference features for KID / PRDC."""
        self.update_reference_extracted(self.extract_reference(images))

    def extract_reference(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """The extractor's outputs for real images uint8 (N,3,H,W): what update_reference_extracted takes."""
        return self._extract(images, "reference images")

    def update_reference_extracted(self, outputs: dict[str, torch.Tensor]) -> None:
        """Feed the outputs of `extract_reference` (computed here or in another process)."""
        if self._real is not None and "features" in outputs:
            self._real.update(outputs["features"], real=True)
        for metric in self.metrics.values():
            metric.update_reference(outputs)
        self.n_reference += next(iter(outputs.values())).shape[0]

    def reference_stats(self) -> ReferenceStats:
        """The fixed reference, or the statistics of the real images fed to update_reference."""
        if self._fixed_reference is not None:
            return self._fixed_reference
        info = self.extractor.info
        return self._real.reference_stats(info.id, info.weights_hash)

    def compute(self) -> dict[str, MetricValue]:
        """Every metric's values by reported name (e.g. "fd_shapes", "kid", "precision"); a one-line
        InputError, naming the metric, when fewer images were fed than a metric takes."""
        for name, ctx in zip(self.metrics, self._contexts, strict=True):
            spec = get_metric_spec(name)
            need = spec.min_samples(ctx.options) if spec.min_samples else 1
            fix = "feed more images with update() or change the metric's options"
            check_count(self.n_generated, need, f"metric {name!r}", fix=fix)
        reference = self._fixed_reference
        if reference is None and self.n_reference >= 2:
            reference = self.reference_stats()
        for ctx in self._contexts:
            ctx.reference = reference
        out: dict[str, MetricValue] = {}
        for metric in self.metrics.values():
            for value in metric.compute():
                out[value.name] = value
        return out

    def _needing(self, keys: set[str]) -> list[str]:
        return [name for name in self.metrics if get_metric_spec(name).needs & keys]
