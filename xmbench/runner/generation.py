"""The text -> image evaluation of one model: generate the evaluation captions' images chunk by chunk
(cached), extract them (sharded under torchrun), feed one Evaluator on rank 0, compute its metrics.

With `images_per_prompt = K` every chunk is generated K times, image k of every prompt from the
sampling seed of image k (`image_seed`: the run's own for image 0, so a K = 1 run and the first image
of K are the same images). The generator derives each sample's seed from its chunk seed and its place
in the chunk, so image k of prompt i is seeded by (seed, i, k). The Evaluator gets every prompt's K
images tagged with its index: distribution metrics use all N·K images, attribute accuracy and the
diversity metrics group them by prompt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from xmbench import distributed as dist
from xmbench.generator import Generator, check_generated
from xmbench.metrics.attributes import AttributeAccuracy
from xmbench.metrics.evaluator import Evaluator
from xmbench.metrics.fd import ReferenceStats
from xmbench.metrics.memorisation import TrainingSet
from xmbench.metrics.value import MetricValue
from xmbench.runner.cache import TensorCache, content_key, strings_digest
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.models import PreparedModel
from xmbench.runner.progress import bar
from xmbench.runner.reference import EvaluationInputs
from xmbench.runner.sharding import sharded
from xmbench.runner.single_process import single_process
from xmbench.runner.threads import threads
from xmbench.seeding import derive_seed

#: generated images kept for the record's sample strip (the first ones, in caption order)
SAMPLE_STRIP = 8


@dataclass
class Evaluated:
    """One model's evaluation on rank 0: its metric values, the first images, the seconds spent, and
    the attribute judge (robustness compares its judgements with those of rewritten prompts)."""

    values: dict[str, MetricValue]
    strip: np.ndarray  # uint8 (min(SAMPLE_STRIP, N), 3, H, W)
    generate_s: float
    evaluate_s: float
    judge: AttributeAccuracy | None = None  # the attribute judge's per-image judgements, when computed


def image_seed(seed: int, image: int) -> int:
    """The sampling seed of image `image` of every prompt: `seed` itself for image 0, a derived one for the others.

    Example:
        >>> image_seed(7, 0), image_seed(7, 1) != image_seed(7, 2)
        (7, True)
    """
    return seed if image == 0 else derive_seed(seed, "image", image)


class ChunkGenerator:
    """uint8 images of one chunk of `captions` (default: the evaluation captions), image k of each prompt,
    from the sample cache or generated (the generator is loaded on first need) and cached; seconds spent
    in `seconds`.

    Cache key: (generator hash, suite protocol, split, chunk start, captions digest, image k's seed).
    """

    def __init__(
        self,
        model: PreparedModel,
        inputs: EvaluationInputs,
        cache: TensorCache,
        seed: int,
        captions: list[str] | None = None,
    ) -> None:
        self.model, self.inputs, self.cache, self.seed = model, inputs, cache, seed
        self.captions = inputs.captions if captions is None else captions
        self.generator: Generator | None = None
        self.seconds = 0.0

    def __call__(self, start: int, image: int = 0) -> torch.Tensor:
        t0, inputs = time.perf_counter(), self.inputs
        captions = self.captions[start : start + inputs.config.chunk]
        seed = image_seed(self.seed, image)
        key = content_key(
            "samples",
            self.model.model_hash,
            inputs.suite.protocol(),
            inputs.split,
            start,
            strings_digest(captions),
            seed,
        )
        stored = self.cache.get("samples", key)
        images = stored["images"] if stored is not None else self._generate(start, captions, key, seed, image)
        self.seconds += time.perf_counter() - t0
        return images

    def _generate(self, start: int, captions: list[str], key: str, seed: int, image: int) -> torch.Tensor:
        if self.generator is None:
            self.generator = self.model.load()
        if hasattr(self.generator, "stored_images"):  # outputs on disk, served by sample index
            out = self.generator.stored_images(list(range(start, start + len(captions))), image)
        else:
            with torch.no_grad():
                out = self.generator.generate(list(captions), derive_seed(seed, "chunk", start))
        source = f"model {self.model.spec.name!r}"
        images = check_generated(out, len(captions), self.inputs.suite.resolution, source).cpu()
        self.cache.put("samples", key, {"images": images})  # only this chunk's rank writes its entry
        return images


def evaluate_generator(
    model: PreparedModel,
    inputs: EvaluationInputs,
    extractor: CachingExtractor,
    cache: TensorCache,
    reference: ReferenceStats | None,
    metrics: list[str],
    options: dict[str, dict[str, Any]],
    quiet: bool,
    training: TrainingSet | None = None,
) -> Evaluated | None:
    """Generate, extract and evaluate one model (on rank 0; None on the other ranks, which generate
    and extract their share of the chunks). Every rank must call it."""
    config, main = inputs.config, dist.is_main()
    evaluator = Evaluator(
        extractor,
        metrics,
        reference=reference,
        seed=config.seed,
        bootstrap=config.bootstrap,
        confidence=config.confidence,
        options=options,
        training=training,
    )
    for outputs in inputs.reference_outputs(extractor) if config.reference_stats is None else ():
        evaluator.update_reference_extracted(outputs)
    t0 = time.perf_counter()
    generate = ChunkGenerator(model, inputs, cache, derive_seed(config.seed, "generation"))
    strip = feed(evaluator, generate, inputs, extractor.device, f"{model.spec.name}", quiet or not main)
    values = None
    with dist.collective(f"computing the metrics of model {model.spec.name!r}"):
        if main:
            single_process(evaluator, *evaluator.metrics.values())
            with threads(1):
                values = evaluator.compute()
    if not main:
        return None
    judge = evaluator.metrics.get("attribute_accuracy")
    return Evaluated(values, strip, generate.seconds, time.perf_counter() - t0 - generate.seconds, judge)


def feed(
    evaluator: Evaluator,
    generate: ChunkGenerator,
    inputs: EvaluationInputs,
    device: torch.device,
    name: str,
    quiet: bool,
) -> np.ndarray | None:
    """Generate and extract every chunk, K images per prompt (sharded), feed the outputs to `evaluator`
    in caption order on rank 0, and return the first SAMPLE_STRIP images of image 0 (on the rank that
    generated chunk 0). The metrics see the evaluation captions and records, whatever captions
    `generate` generates from (a robustness variant's rewrites are judged against the originals)."""
    captions, chunk, k = inputs.captions, inputs.config.chunk, inputs.config.images_per_prompt
    records = inputs.records if dist.is_main() else None  # only rank 0 feeds the metrics
    strip = None

    def work(start: int) -> dict[str, torch.Tensor]:
        nonlocal strip
        parts = []
        for image in range(k):
            images = generate(start, image)
            if start == 0 and image == 0:
                strip = images[:SAMPLE_STRIP].numpy()
            parts.append(evaluator.extract(images, captions[start : start + images.shape[0]]))
        return {key: torch.cat([p[key] for p in parts]) for key in parts[0]}

    with bar(len(captions), f"{name}: generate+extract", quiet) as pbar:
        for start, outputs in sharded(
            range(0, len(captions), chunk), work, f"generating and extracting for model {name!r}", device
        ):
            end = start + next(iter(outputs.values())).shape[0] // k
            prompts = list(range(start, end)) * k
            evaluator.update_extracted(
                outputs,
                [captions[i] for i in prompts],
                [records[i] for i in prompts] if records else None,
                prompts,
            )
            pbar.update(end - start)
    return strip
