"""Run a protocol: generate its captions once, feed every stage's extractor, reference features cached.

Reference features (one pass of the stage's extractor over the protocol's real images) are cached
under `cache_dir` as safetensors keyed by the suite's identity, the reference indices and the
extractor's id and weights hash; FID uses their statistics, KID the features themselves. A pytorch-fid
npz (mu, sigma) can stand in for the Inception reference of FID.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save

from xmbench.atomic import atomic_write_bytes
from xmbench.data.photos import PhotoSuite
from xmbench.extractors import get_extractor
from xmbench.extractors.base import Extractor
from xmbench.generator import CheckedGenerator, Generator
from xmbench.home import cache_home
from xmbench.metrics.evaluator import Evaluator
from xmbench.metrics.fd import ReferenceStats, stats_from_features
from xmbench.metrics.value import MetricValue
from xmbench.protocols.presets import Protocol, Stage
from xmbench.seeding import derive_seed

#: metrics that compare with the real images
REFERENCE_METRICS = frozenset({"fid", "fd", "kid", "prdc", "fd_infinity"})


def reference_features(
    suite: PhotoSuite,
    split: str,
    indices: Sequence[int],
    extractor: Extractor,
    cache_dir: str | os.PathLike | None = None,
    batch_size: int = 50,
) -> torch.Tensor:
    """float32 (len(indices), D) features of the real images `indices` of `split`, computed once and
    cached as safetensors under cache_dir/reference (default: xmbench.home.cache_home())."""
    info = extractor.info
    key = hashlib.sha256(
        json.dumps(
            [suite.protocol(), split, list(map(int, indices)), info.id, info.weights_hash], sort_keys=True
        ).encode()
    ).hexdigest()[:32]
    path = Path(cache_dir or cache_home()) / "reference" / f"{info.id}-{key}.safetensors"
    if path.is_file():
        return load_file(str(path))["features"]
    chunks = []
    for start in range(0, len(indices), batch_size):
        images = suite.batch(split, indices[start : start + batch_size]).images.to(extractor.device)
        with torch.no_grad():
            chunks.append(extractor.images(images)["features"].float().cpu())
    features = torch.cat(chunks)
    atomic_write_bytes(path, save({"features": features.contiguous()}))
    return features


def _build_extractors(stages: Sequence[Stage], weights: dict[str, Any], device: str) -> list[Extractor]:
    built: dict[str, Extractor] = {}
    out = []
    for stage in stages:
        w = weights.get(stage.weights_key) if stage.weights_key else None
        key = json.dumps([stage.extractor, str(w), stage.extractor_options], sort_keys=True)
        if key not in built:
            built[key] = get_extractor(stage.extractor, weights=w, device=device, **stage.extractor_options)
        out.append(built[key])
    return out


def evaluate_protocol(
    protocol: Protocol,
    suite: PhotoSuite,
    generator: Generator,
    *,
    weights: dict[str, str | os.PathLike] | None = None,
    device: str = "cpu",
    batch_size: int = 50,
    bootstrap: int = 0,
    cache_dir: str | os.PathLike | None = None,
    pytorch_fid_stats: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Evaluate `generator` under `protocol` on `suite`.

    weights: weights files by stage key ("inception", "finetuned", "clip", "encoder"); missing ones
    come from $XMBENCH_HOME/weights. Generation: captions in protocol order, batches of `batch_size`,
    batch seed derive_seed(protocol name, seed, "generate", first position). pytorch_fid_stats: an
    npz with mu/sigma used as the FID reference instead of the suite's images (KID still uses them).
    Returns {"protocol": record, "values": {metric name: MetricValue}, "extractors": {id: info}}.
    """
    weights = dict(weights or {})
    extractors = _build_extractors(protocol.stages, weights, device)
    evaluators = [
        _stage_evaluator(protocol, stage, extractor, suite, bootstrap, cache_dir, batch_size, pytorch_fid_stats)
        for stage, extractor in zip(protocol.stages, extractors, strict=False)
    ]
    _generate_and_feed(protocol, suite, generator, evaluators, extractors, batch_size)
    values: dict[str, MetricValue] = {}
    for stage, ev in zip(protocol.stages, evaluators, strict=False):
        for name, value in ev.compute().items():
            value.name = stage.prefix + name
            value.details = {**value.details, "stage": stage.note}
            values[value.name] = value
    infos = {e.info.id: {"weights_hash": e.info.weights_hash, "resize": e.info.resize} for e in extractors}
    return {
        "protocol": {**protocol.record(), "suite_identity": suite.protocol(), "batch_size": batch_size},
        "values": values,
        "extractors": infos,
    }


def _stage_evaluator(
    protocol: Protocol,
    stage: Stage,
    extractor: Extractor,
    suite: PhotoSuite,
    bootstrap: int,
    cache_dir: str | os.PathLike | None,
    batch_size: int,
    pytorch_fid_stats: str | os.PathLike | None,
) -> Evaluator:
    """The Evaluator of one stage, holding its reference (statistics, and the features KID / PRDC keep)."""
    reference, features = None, None
    if REFERENCE_METRICS & set(stage.metrics):
        imported = pytorch_fid_stats is not None and stage.extractor == "inception-v3-fid"
        if not imported or set(stage.metrics) - {"fid"}:  # KID and PRDC need the real features themselves
            features = reference_features(
                suite, protocol.split, protocol.reference_indices(suite), extractor, cache_dir, batch_size
            )
        reference = _reference_stats(features, extractor, pytorch_fid_stats if imported else None)
    ev = Evaluator(
        extractor,
        list(stage.metrics),
        reference=reference,
        seed=derive_seed(protocol.name, protocol.seed),
        bootstrap=bootstrap,
        options=stage.metric_options,
    )
    if features is not None:
        for metric in ev.metrics.values():  # KID / PRDC keep the reference features themselves
            metric.update_reference({"features": features.to(extractor.device)})
    return ev


def _reference_stats(
    features: torch.Tensor | None, extractor: Extractor, pytorch_fid_stats: str | os.PathLike | None
) -> ReferenceStats:
    """The stage's reference statistics: imported from a pytorch-fid npz, or from the real features."""
    if pytorch_fid_stats is not None:
        return ReferenceStats.from_pytorch_fid(pytorch_fid_stats)
    mu, sigma = stats_from_features(features)
    return ReferenceStats(mu, sigma, features.shape[0], extractor.info.id, extractor.info.weights_hash)


def _generate_and_feed(
    protocol: Protocol,
    suite: PhotoSuite,
    generator: Generator,
    evaluators: list[Evaluator],
    extractors: list[Extractor],
    batch_size: int,
) -> None:
    """Generate the protocol's captions in batches (seeded by protocol, seed and position) and feed every stage."""
    indices = protocol.caption_indices(suite)
    checked = CheckedGenerator(generator, type(generator).__name__)
    for start in range(0, len(indices), batch_size):
        batch = indices[start : start + batch_size]
        captions = suite.captions(protocol.split, batch)
        records = [{"group": g} for g in suite.groups(protocol.split, batch)]
        images = checked.generate(captions, derive_seed(protocol.name, protocol.seed, "generate", start))
        for ev, extractor in zip(evaluators, extractors, strict=False):
            ev.update(images.to(extractor.device), captions, records)
