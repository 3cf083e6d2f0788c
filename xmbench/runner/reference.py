"""A run's fixed inputs: the evaluation captions and attribute records, the real reference images'
extractor outputs, and the reference statistics cached from them."""

from __future__ import annotations

import warnings

import torch

from xmbench import distributed as dist
from xmbench.data.base import Suite
from xmbench.errors import CacheRepairWarning, InputError
from xmbench.metrics.evaluator import Evaluator, extract_images
from xmbench.metrics.fd import ReferenceStats
from xmbench.runner.cache import TensorCache, content_key
from xmbench.runner.config import RunConfig
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.progress import bar
from xmbench.runner.sharding import sharded
from xmbench.runner.single_process import single_process
from xmbench.runner.threads import threads


class EvaluationInputs:
    """The evaluation captions of `split` (indices 0 .. config.samples-1), their attribute records,
    and the reference images' extractor outputs (computed once per run, sharded by chunk)."""

    def __init__(self, config: RunConfig, suite: Suite, split: str, quiet: bool) -> None:
        self.config, self.suite, self.split, self.quiet = config, suite, split, quiet
        self.captions = suite.captions(split, range(config.samples))
        self._records: list[dict | None] | None = None
        self._reference: list[dict[str, torch.Tensor]] | None = None

    @property
    def records(self) -> list[dict | None] | None:
        """The suite's attribute record of each evaluation caption; None when the suite has none."""
        if self._records is None:
            out: list[dict | None] = []
            for start in range(0, self.config.samples, self.config.chunk):
                end = min(self.config.samples, start + self.config.chunk)
                out += self.suite.batch(self.split, range(start, end)).attributes
            self._records = out
        return self._records if any(r is not None for r in self._records) else None

    def reference_outputs(self, extractor: CachingExtractor) -> list[dict[str, torch.Tensor]]:
        """The extractor's outputs for the reference images, chunk by chunk (on rank 0; an empty
        list on the others). Every rank must call it: the chunks are sharded across ranks."""
        if self._reference is None:
            m, split, chunk = self.config.reference_samples, self.config.reference_split, self.config.chunk

            def work(start: int) -> dict[str, torch.Tensor]:
                images = self.suite.batch(split, range(start, min(m, start + chunk))).images
                return extract_images(extractor, images, "reference images", needs={"features"})

            with bar(m, f"render+extract {split} reference", self.quiet) as pbar:
                chunks = []
                for _, outputs in sharded(
                    range(0, m, chunk), work, f"extracting the {split} reference", extractor.device
                ):
                    chunks.append(outputs)
                    pbar.update(next(iter(outputs.values())).shape[0])
            self._reference = chunks
        return self._reference


def reference_stats(inputs: EvaluationInputs, extractor: CachingExtractor, cache: TensorCache) -> ReferenceStats | None:
    """Reference statistics of the real reference images, from the cache or computed and cached.

    Keyed by (suite protocol, reference split and size, extractor id and weights hash). Returns the
    statistics on rank 0 and None on the other ranks, which help extract the images when they are
    computed; every rank must call it.
    """
    config, info = inputs.config, extractor.info
    key = content_key(
        "reference",
        inputs.suite.protocol(),
        config.reference_split,
        config.reference_samples,
        info.id,
        info.weights_hash,
    )
    path = cache.root / "reference" / f"{key}.npz"
    stats = None
    if dist.is_main() and path.is_file():
        try:
            stats = ReferenceStats.load(path)
        except InputError as e:
            warnings.warn(f"{e}; recomputing", CacheRepairWarning, stacklevel=1)
    if dist.broadcast_json(stats is not None):
        return stats
    outputs = inputs.reference_outputs(extractor)
    with dist.collective("computing the reference statistics"):
        if dist.is_main():
            builder = Evaluator(extractor, ["fd"], bootstrap=0)
            single_process(builder, *builder.metrics.values())
            for chunk in outputs:
                builder.update_reference_extracted(chunk)
            stats = builder.reference_stats()
            with threads(1):
                stats.save(path)  # computes and stores the factor of sigma_ref (one Cholesky)
    return stats
