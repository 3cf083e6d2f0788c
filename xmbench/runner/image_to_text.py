"""The image -> text task: caption the suite's evaluation images with each model, score, record.

Each model of a run with `[evaluation] task = "image-to-text"` is resolved by `xmbench.runner.models`
like a generator (train or reuse, shipped, checkpoint, import path, calibration). It captions the
first `samples` images of the evaluation split (one image per caption group: `Suite.image_indices`)
in chunks of `chunk` images, each chunk seeded from (run seed, chunk start) and cached on disk by
(model hash, suite, chunk indices, seed). Every caption metric is scored against the images'
references (`Suite.references`) with bootstrap CIs over images. The runner (`xmbench.runner.pipeline`)
writes the record (`task` "image-to-text"), reuses it while its cache key holds, and publishes
`<suite>-captioning.md` (+ CSV) beside the text -> image board; the reports show the images with
every model's caption.

Under torchrun chunk k is captioned by rank k % world size; rank 0 scores and writes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from xmbench import distributed as dist
from xmbench.captioner import check_captions
from xmbench.data.base import Suite
from xmbench.errors import InputError, XmbenchError, unknown_name
from xmbench.extractors.base import Extractor
from xmbench.metrics.captioning.correctness import judge_captions
from xmbench.metrics.captioning.scores import (
    Bootstrap,
    CaptionSet,
    caption_metric_versions,
    check_caption_options,
    score_captions,
)
from xmbench.metrics.r_precision import group_key
from xmbench.metrics.value import MetricValue
from xmbench.registry import CAPTION_METRICS
from xmbench.results.samples import encode_strip
from xmbench.runner import robustness
from xmbench.runner.cache import TensorCache, content_key
from xmbench.runner.config import RunConfig, located
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.models import PreparedModel
from xmbench.runner.progress import bar
from xmbench.runner.record import metric_sections
from xmbench.runner.resolve import extractor as resolve_extractor
from xmbench.runner.resolve import suite_and_split
from xmbench.runner.sharding import sharded
from xmbench.runner.task import Evaluation
from xmbench.seeding import derive_seed
from xmbench.tasks import IMAGE_TO_TEXT

#: images (with every model's caption) stored in each record for the reports
SAMPLE_STRIP = 8
WORST_CAPTIONS = 10


def _unavailable(name: str, suite: Suite, extractor: Extractor) -> str | None:
    """Why caption metric `name` cannot run here (one line naming the fix), or None; InputError when the
    installation lacks what it needs (Java, CoreNLP)."""
    needs = CAPTION_METRICS.get(name).needs
    if "records" in needs and not hasattr(suite, "records"):
        return f"{name} judges captions against scene records, which only shapes has; drop it"
    if needs & {"image_embed", "text_embed", "reference_embed", "groups"} and (
        "image_embed" not in extractor.info.yields
    ):
        return f"{name} needs a joint image-text extractor (shapes-v1, clip-vit-b-32), not {extractor.info.id!r}"
    if "java" in needs:
        from xmbench.metrics.captioning._java import require_java

        require_java(name.upper())
    if "corenlp" in needs:
        from xmbench.metrics.captioning.spice import check_spice

        check_spice()
    return None


def _available(name: str, suite: Suite, extractor: Extractor) -> bool:
    try:
        return _unavailable(name, suite, extractor) is None
    except InputError:
        return False


def caption_metric_names(config: RunConfig, suite: Suite, extractor: Extractor) -> list[str]:
    """The run's caption metrics, their options checked: the config's list (a metric asked for that cannot
    run is an error naming the fix), or for "all" every registered one (plugins included, in registration
    order) this suite, extractor and installation can give."""
    known = CAPTION_METRICS.names()
    if config.metrics is None:
        names = [m for m in known if _available(m, suite, extractor)]
    else:
        for name in config.metrics:
            if name not in known:
                raise located(config, "evaluation.metrics", unknown_name("caption metric", name, known))
            try:
                problem = _unavailable(name, suite, extractor)
            except InputError as e:
                raise located(config, "evaluation.metrics", e) from None
            if problem:
                raise located(config, "evaluation.metrics", InputError(problem))
        names = list(config.metrics)
    for name in config.metric_options:
        try:
            check_caption_options({name: config.metric_options[name]}, names)
        except InputError as e:
            raise located(config, f"metric_options.{name}", e) from None
    return names


@dataclass
class CaptionInputs:
    """The run's fixed inputs: evaluation images (as sample indices), their references and records."""

    suite: Suite
    split: str
    indices: list[int]
    references: list[list[str]]
    records: list[dict[str, Any]] | None
    _training: list[str] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, config: RunConfig, suite: Suite, split: str) -> CaptionInputs:
        images = suite.image_indices(split)
        if config.samples > len(images):
            raise located(
                config,
                "evaluation.samples",
                InputError(f"{config.samples} images asked of split {split!r}, which holds {len(images)}; lower it"),
            )
        indices = images[: config.samples]
        records = suite.records(split, indices) if hasattr(suite, "records") else None
        return cls(suite, split, indices, suite.references(split, indices), records)

    def images(self, start: int, end: int) -> torch.Tensor:
        return self.suite.batch(self.split, self.indices[start:end]).images

    def training_captions(self) -> list[str] | None:
        """Every caption of the suite's "train" split (for the novelty of captions), or None without one;
        read once per run, not once per model."""
        if "train" not in self.suite.splits or self.split == "train":
            return None
        if self._training is None:
            self._training = self.suite.captions("train", range(self.suite.size("train")))
        return self._training

    def groups(self) -> torch.Tensor:
        """Retrieval groups: the scene on shapes, else the image's group (image or class)."""
        if self.records is not None:
            return torch.tensor([group_key("", r) for r in self.records], dtype=torch.int64)
        groups = getattr(self.suite, "groups", None)
        keys = groups(self.split, self.indices) if groups else [str(i) for i in self.indices]
        return torch.tensor([group_key("", {"group": g}) for g in keys], dtype=torch.int64)


def _encode_captions(captions: list[str]) -> torch.Tensor:
    return torch.frombuffer(bytearray(json.dumps(captions).encode("utf-8")), dtype=torch.uint8)


def _decode_captions(data: torch.Tensor) -> list[str]:
    return json.loads(bytes(data.numpy()).decode("utf-8"))


def _cached_captions(stored: dict[str, torch.Tensor], n: int) -> list[str]:
    """The captions of a cache entry; ValueError unless they are `n` strings that are text (then the
    entry is recomputed)."""
    captions = _decode_captions(stored["captions"])
    if not isinstance(captions, list) or len(captions) != n or not all(isinstance(c, str) for c in captions):
        raise ValueError(f"a caption cache entry must hold {n} strings")
    return captions


class _ChunkCaptioner:
    """Captions of one chunk of the evaluation images (photometrically changed with `perturbed`), from the
    cache or captioned (the captioner is loaded on first need) and cached; seconds spent in `seconds`."""

    def __init__(
        self, model: PreparedModel, inputs: CaptionInputs, cache: TensorCache, config: RunConfig, perturbed: bool
    ) -> None:
        self.model, self.inputs, self.cache, self.config = model, inputs, cache, config
        self.chunk, self.seed = config.chunk, derive_seed(config.seed, "captioning")
        self.perturbation = robustness.perturbation(config) if perturbed else None
        self.captioner = None
        self.seconds = 0.0

    def __call__(self, start: int) -> dict[str, torch.Tensor]:
        t0, inputs = time.perf_counter(), self.inputs
        end = min(len(inputs.indices), start + self.chunk)
        key = content_key(
            "captions",
            self.model.model_hash,
            inputs.suite.protocol(),
            inputs.split,
            inputs.indices[start:end],
            self.seed,
            *([self.perturbation] if self.perturbation else []),
        )
        stored = self.cache.get("captions", key, check=lambda t: _cached_captions(t, end - start))
        if stored is None:
            if self.captioner is None:
                self.captioner = self.model.load()
            source = f"model {self.model.spec.name!r}"
            if hasattr(self.captioner, "captions_for"):  # the real captioner knows the images by index
                captions = self.captioner.captions_for(inputs.indices[start:end])
            else:
                images = inputs.images(start, end)
                if self.perturbation:
                    images = robustness.perturb_chunk(self.config, images, start)
                with torch.no_grad():
                    out = self.captioner.caption(images, derive_seed(self.seed, "chunk", start))
                captions = check_captions(out, end - start, source)
            stored = {"captions": _encode_captions(captions)}
            self.cache.put("captions", key, stored)
        self.seconds += time.perf_counter() - t0
        return stored


def caption_all(
    model: PreparedModel,
    inputs: CaptionInputs,
    cache: TensorCache,
    config: RunConfig,
    quiet: bool,
    perturbed: bool = False,
) -> tuple[list[str], float]:
    """Every evaluation image's caption (on rank 0; [] elsewhere) and the seconds spent captioning; with
    `perturbed`, of the photometrically changed images (the robustness variant), with the same seeds."""
    work = _ChunkCaptioner(model, inputs, cache, config, perturbed)
    captions: list[str] = []
    label = f"{model.spec.name}: caption{' (photometric)' if perturbed else ''}"
    with bar(len(inputs.indices), label, quiet or not dist.is_main()) as pbar:
        for _, out in sharded(
            range(0, len(inputs.indices), config.chunk),
            work,
            f"captioning with model {model.spec.name!r}",
            torch.device("cpu"),
        ):
            chunk = _decode_captions(out["captions"])
            captions += chunk
            pbar.update(len(chunk))
    return captions, work.seconds


class JointEmbeddings:
    """The joint encoder's embeddings of the evaluation images, computed once per run, and of captions.

    With CLIP, captions are embedded with the prefix "A photo depicts " (Hessel et al.'s CLIP-S protocol,
    used for every caption metric that embeds text); other encoders take captions as they are.
    """

    def __init__(self, extractor: Extractor, inputs: CaptionInputs, chunk: int) -> None:
        self.extractor, self.inputs, self.chunk = extractor, inputs, chunk
        self.prefix = "A photo depicts " if extractor.info.id.startswith("clip") else ""
        self._images: torch.Tensor | None = None

    def images(self) -> torch.Tensor:
        if self._images is None:
            parts = []
            for start in range(0, len(self.inputs.indices), self.chunk):
                images = self.inputs.images(start, start + self.chunk).to(self.extractor.device)
                with torch.no_grad():
                    parts.append(self.extractor.images(images)["image_embed"].float().cpu())
            self._images = torch.cat(parts)
        return self._images

    def text(self, captions: list[str]) -> torch.Tensor:
        with torch.no_grad():
            return self.extractor.text([self.prefix + c for c in captions]).float().cpu()

    def encoder(self) -> dict[str, str]:
        info = self.extractor.info
        return {"id": info.id, "weights_hash": info.weights_hash, "prefix": self.prefix.strip()}


def score_model(
    captions: list[str],
    references: list[list[str]],
    inputs: CaptionInputs,
    joint: JointEmbeddings,
    names: list[str],
    config: RunConfig,
) -> tuple[dict[str, MetricValue], list[dict[str, Any]] | None]:
    """(metric name -> value, correctness judgements or None) of one model's captions."""
    data = CaptionSet(captions, references, records=inputs.records)
    needs = frozenset().union(*(CAPTION_METRICS.get(n).needs for n in names))
    if needs & {"image_embed", "text_embed", "groups"}:
        data.image_embed, data.text_embed = joint.images(), joint.text(captions)
        data.groups, data.encoder = inputs.groups(), joint.encoder()
    if "reference_embed" in needs:
        data.reference_embed = joint.text([r for refs in references for r in refs])
    if "diversity" in names:
        data.training_captions = inputs.training_captions()
    boot = Bootstrap(config.bootstrap, config.confidence, config.seed)
    return score_captions(names, data, boot, config.metric_options), data.judgements


def worst_captions(judgements: list[dict[str, Any]], indices: list[int]) -> list[dict[str, Any]]:
    """The lowest-scoring captions by the judge (share of right judgements), with its reason."""
    scored = []
    for k, j in enumerate(judgements):
        flags = [v for values in j["judgements"].values() for v in values]
        scored.append((sum(flags) / max(len(flags), 1) - j["hallucinated"], k, j))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [
        {"caption": j["caption"], "score": round(max(s, 0.0), 4), "index": indices[k], "note": j["reason"]}
        for s, k, j in scored[:WORST_CAPTIONS]
    ]


def caption_protocol(
    config: RunConfig, inputs: CaptionInputs, extractor: Extractor, names: list[str]
) -> dict[str, Any]:
    """What makes two captioning records comparable (recorded; its hash is the leaderboard key)."""
    info = extractor.info
    suite = inputs.suite
    return {
        "task": IMAGE_TO_TEXT,
        "split": inputs.split,
        "samples": len(inputs.indices),
        "images_sha256": content_key(inputs.indices),
        "references": {
            "sha256": content_key(inputs.references),
            "per_image": sorted({len(r) for r in inputs.references}),
            **(suite.reference_protocol() if hasattr(suite, "reference_protocol") else {}),
        },
        "tokenizer": "ptb (xmbench.text.ptb, pycocoevalcap's PTBTokenizer conventions)",
        "seed": config.seed,
        "caption_seed": derive_seed(config.seed, "captioning"),
        "chunk": config.chunk,
        "bootstrap": config.bootstrap,
        "confidence": config.confidence,
        "metric_options": {k: dict(v) for k, v in sorted(config.metric_options.items())},
        "metric_versions": caption_metric_versions(names),
        "extractor": {
            "id": info.id,
            "weights_hash": info.weights_hash,
            "resize": info.resize,
            "input_size": info.input_size,
        },
        **(
            {"robustness": {"variants": list(config.robustness), "perturbation": robustness.perturbation(config)}}
            if config.robustness
            else {}
        ),
    }


class ImageToText:
    """The image -> text task (see `xmbench.runner.task.Task`)."""

    name = IMAGE_TO_TEXT

    def __init__(self, config: RunConfig, cache: TensorCache, device: torch.device, quiet: bool) -> None:
        self.config, self.cache, self.device, self.quiet = config, cache, device, quiet
        self.suite, self.split = suite_and_split(config)
        self.sampling_seed = derive_seed(config.seed, "captioning")

    def start(self) -> None:
        """Load the joint extractor, check the caption metrics against it, fix the evaluation images."""
        config = self.config
        self.extractor = CachingExtractor(resolve_extractor(config, self.device), self.cache)
        try:
            self.metrics = caption_metric_names(config, self.suite, self.extractor)
            self.inputs = CaptionInputs.of(config, self.suite, self.split)
        except XmbenchError as e:
            if str(e).startswith(config.path):
                raise
            raise located(config, "evaluation.task", e) from None
        robustness.check_robustness(config, self.suite, self.metrics)
        self.joint = JointEmbeddings(self.extractor, self.inputs, config.chunk)
        self.protocol = caption_protocol(config, self.inputs, self.extractor, self.metrics)
        self.versions = self.protocol["metric_versions"]

    def announce(self) -> str | None:
        return (
            f"xmbench run ({self.name}): {len(self.config.models)} models on {self.suite.name} ({self.split}, "
            f"{len(self.inputs.indices)} images), {len(self.metrics)} caption metrics, joint encoder "
            f"{self.extractor.info.id}, device {self.device}"
        )

    def evaluate(self, model: PreparedModel) -> Evaluation | None:
        """Caption and score one model (rank 0; None elsewhere)."""
        t0, inputs = time.perf_counter(), self.inputs
        captions, caption_s = caption_all(model, inputs, self.cache, self.config, self.quiet)
        changed = None
        if self.config.robustness:  # photometric (checked): the same images changed, captioned with the same seeds
            changed, seconds = caption_all(model, inputs, self.cache, self.config, self.quiet, perturbed=True)
            caption_s += seconds
        if not dist.is_main():
            return None
        references = inputs.references
        if model.kind == "calibration" and model.spec.source == "real":
            # the held-out caption is scored by the other references (on shapes: all five)
            references = inputs.suite.held_out_references(inputs.split, inputs.indices)[1]
        values, judgements = score_model(captions, references, inputs, self.joint, self.metrics, self.config)
        if changed is not None and judgements is not None:
            changed_judgements = judge_captions(changed, inputs.records)
            values.update(robustness.photometric_values(judgements, changed_judgements, self.config))
        sections = metric_sections(values, self.config.confidence, "caption_correctness")
        sections["samples"] = {
            "captions": captions[:SAMPLE_STRIP],
            "indices": inputs.indices[:SAMPLE_STRIP],
            "references": [r[0] for r in inputs.references[:SAMPLE_STRIP]],
            "png": encode_strip(inputs.images(0, SAMPLE_STRIP).numpy()),
        }
        if judgements is not None:
            sections["worst_captions"] = worst_captions(judgements, inputs.indices)
        return Evaluation(sections, caption_s, time.perf_counter() - t0 - caption_s)


__all__ = [
    "CaptionInputs",
    "ImageToText",
    "JointEmbeddings",
    "caption_all",
    "caption_metric_names",
    "caption_protocol",
]
