"""The main job: for each configured model, train or reuse, generate for the fixed evaluation
captions, extract, evaluate, write its result record; then update the leaderboard and the report.

Every step's output lives in a content-keyed cache written atomically, so a run killed at any point
(SIGINT or SIGKILL) and started again redoes only what was missing and ends with the same numbers:
- training runs: `<cache>/train/<model>-<key>/` (the baselines' resumable checkpoints);
- generated samples: chunks of `chunk` captions (config, default 250), keyed by (generator hash,
  suite, chunk captions, seed);
- extractor outputs: keyed by (extractor id, weights hash, image bytes) — generated and real alike;
- reference statistics: npz keyed by (suite, reference split and size, extractor);
- result records: reused when their `run.cache_key` (RECORD_FORMAT, generator hash and version, suite
  and run protocol, requested metrics and their versions) matches.

Under torchrun (see xmbench.distributed) chunk k of the evaluation captions (and of the reference
images) is generated and extracted by rank k % world size, which alone writes its cache entries; the
extractor outputs are gathered to rank 0 in caption order and rank 0 feeds them to one Evaluator,
exactly the batches a single process feeds, so every metric is the single-process value. Rank 0
makes every decision that reads the disk (reuse a record, the reference statistics, train or not)
and shares it; it alone writes records, leaderboard and report. Baselines train on every rank (DDP).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torchmetrics

from xmbench import distributed as dist
from xmbench.atomic import atomic_write_text
from xmbench.data import get_suite
from xmbench.data.base import Suite
from xmbench.errors import InputError, XmbenchError, unknown_name
from xmbench.extractors import get_extractor, list_extractors
from xmbench.generator import check_generated
from xmbench.metrics import list_metrics
from xmbench.metrics.evaluator import Evaluator, extract_images
from xmbench.metrics.fd import ReferenceStats
from xmbench.metrics.registry import metric_version
from xmbench.report import render_html, render_markdown
from xmbench.results import SCHEMA, SCHEMA_VERSION, read_record, record_filename, update_leaderboard, write_record
from xmbench.results.leaderboard import headline_metrics, metric_names
from xmbench.results.samples import encode_strip
from xmbench.runner.cache import TensorCache, content_key, strings_digest
from xmbench.runner.config import RunConfig, located
from xmbench.runner.environment import environment, resolve_device
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.models import PreparedModel, check_models, prepare_model
from xmbench.runner.progress import bar
from xmbench.seeding import derive_seed

#: bump when the way a record's numbers are computed changes (invalidates reused records)
RECORD_FORMAT = 1
SAMPLE_STRIP = 8
#: display order of metrics when the config asks for "all"
METRIC_ORDER = ("attribute_accuracy", "fd", "kid", "is", "clip_score", "r_precision", "prdc", "fd_infinity")


@dataclass(frozen=True)
class RunPaths:
    """Where a run writes: result records, leaderboard (Markdown; CSV beside it), report, cache."""

    out: Path
    results: Path
    leaderboard: Path
    report: Path
    cache: Path

    @classmethod
    def under(
        cls, out: str | Path, suite: str, results: str | Path | None = None, leaderboard: str | Path | None = None
    ) -> RunPaths:
        out = Path(out)
        name = suite.split(":")[0]
        return cls(
            out,
            Path(results) if results else out / "results",
            Path(leaderboard) if leaderboard else out / "leaderboards" / f"{name}.md",
            out / "report.html",
            out / "cache",
        )


@dataclass
class RunSummary:
    records: list[dict[str, Any]]
    record_paths: list[Path]
    leaderboard: Path
    leaderboard_csv: Path
    report: Path
    report_md: Path
    seconds: float
    reused: list[str] = field(default_factory=list)


class _Evaluation:
    """The run's fixed inputs: evaluation captions (and attribute records), reference images."""

    def __init__(self, config: RunConfig, suite: Suite, split: str, quiet: bool) -> None:
        self.config, self.suite, self.split, self.quiet = config, suite, split, quiet
        self.captions = suite.captions(split, range(config.samples))
        self._records: list[dict | None] | None = None
        self._reference: list[dict[str, torch.Tensor]] | None = None

    @property
    def records(self) -> list[dict | None] | None:
        if self._records is None:
            out: list[dict | None] = []
            for start in range(0, self.config.samples, self.config.chunk):
                end = min(self.config.samples, start + self.config.chunk)
                out += self.suite.batch(self.split, range(start, end)).attributes
            self._records = out
        return self._records if any(r is not None for r in self._records) else None

    def reference_outputs(self, extractor: CachingExtractor) -> list[dict[str, torch.Tensor]]:
        """The extractor's outputs for the reference images, chunk by chunk (on rank 0; an empty
        list on the others). Computed once per run, sharded by chunk; every rank must call it."""
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


def sharded(
    starts: range | list[int], work: Callable[[int], dict[str, torch.Tensor]], what: str, device: torch.device
) -> Iterator[tuple[int, dict[str, torch.Tensor]]]:
    """Run `work(start)` for this process's chunks (chunk k on rank k % world size) and yield
    (start, outputs on `device`) for every chunk in order on rank 0; nothing on the other ranks,
    which must still exhaust the iterator (it holds collectives). In one process: work on each
    chunk in turn. A failure on any rank raises on every rank (xmbench.distributed.collective)."""
    starts, world, rank = list(starts), dist.world_size(), dist.rank()
    for first in range(0, len(starts), world):
        mine = None
        with dist.collective(what):
            if first + rank < len(starts):
                mine = work(starts[first + rank])
        gathered = dist.gather_tensors(mine)
        for j, outputs in enumerate(gathered or []):
            if outputs is not None:
                yield starts[first + j], {k: v.to(device) for k, v in outputs.items()}


def _suite_and_split(config: RunConfig) -> tuple[Suite, str]:
    try:
        suite = get_suite(config.suite, **config.suite_options)
    except XmbenchError as e:
        raise located(config, "suite.name", e) from None
    split = config.split or suite.eval_split
    for key, name, count in (
        ("evaluation.split", split, config.samples),
        ("evaluation.reference_split", config.reference_split, config.reference_samples),
    ):
        if name not in suite.splits:
            raise located(config, key, unknown_name(f"split of suite {suite.name!r}", name, suite.splits))
        if count > suite.splits[name]:
            raise located(
                config,
                key.replace("split", "samples"),
                InputError(
                    f"{count} samples asked of split {name!r}, which holds {suite.splits[name]}; lower the count"
                ),
            )
    return suite, split


def _metric_names(config: RunConfig) -> list[str]:
    known = list_metrics()
    if config.metrics is None:
        return [m for m in METRIC_ORDER if m in known] + [m for m in known if m not in METRIC_ORDER]
    for name in config.metrics:
        if name not in known and name != "fid":
            raise located(config, "evaluation.metrics", unknown_name("metric", name, known))
    return list(config.metrics)


def _metric_versions(names: list[str]) -> dict[str, int]:
    """Requested metric name -> its VERSION, in request order ("fid" is the "fd" metric on Inception)."""
    return {name: metric_version("fd" if name == "fid" else name) for name in names}


def _metric_options(config: RunConfig, names: list[str]) -> dict[str, dict[str, Any]]:
    for name in config.metric_options:
        if name not in names:
            raise located(config, f"metric_options.{name}", unknown_name("metric in [metric_options]", name, names))
    return {k: dict(v) for k, v in config.metric_options.items()}


def _extractor(config: RunConfig, device: torch.device):
    if config.extractor not in list_extractors():
        raise located(config, "evaluation.extractor", unknown_name("extractor", config.extractor, list_extractors()))
    return get_extractor(config.extractor, device=device, **config.extractor_options)


def _reference_stats(ev: _Evaluation, extractor: CachingExtractor, cache: TensorCache) -> ReferenceStats | None:
    """Reference statistics of the real reference images, from the cache or computed and cached
    (on rank 0; None on the other ranks, which help extract the images when they are computed)."""
    info = extractor.info
    key = content_key(
        "reference",
        ev.suite.protocol(),
        ev.config.reference_split,
        ev.config.reference_samples,
        info.id,
        info.weights_hash,
    )
    path = cache.root / "reference" / f"{key}.npz"
    stats = None
    if dist.is_main() and path.is_file():
        try:
            stats = ReferenceStats.load(path)
        except InputError as e:
            print(f"xmbench: {e}; recomputing", file=sys.stderr)
    if dist.broadcast_json(stats is not None):
        return stats
    outputs = ev.reference_outputs(extractor)
    with dist.collective("computing the reference statistics"):
        if dist.is_main():
            builder = Evaluator(extractor, ["fd"], bootstrap=0)
            _single_process(builder, *builder.metrics.values())
            for chunk in outputs:
                builder.update_reference_extracted(chunk)
            stats = builder.reference_stats()
            with _threads(1):
                stats.save(path)  # computes and stores the factor of sigma_ref (one Cholesky)
    return stats


class _ChunkGenerator:
    """uint8 images of one chunk of the evaluation captions, from the sample cache or generated
    (the generator is loaded on first need) and cached; seconds spent in `seconds`."""

    def __init__(self, model: PreparedModel, ev: _Evaluation, cache: TensorCache, seed: int) -> None:
        self.model, self.ev, self.cache, self.seed = model, ev, cache, seed
        self.generator = None
        self.seconds = 0.0

    def __call__(self, start: int) -> torch.Tensor:
        t0, ev, model = time.perf_counter(), self.ev, self.model
        captions = ev.captions[start : start + ev.config.chunk]
        key = content_key(
            "samples", model.generator_hash, ev.suite.protocol(), ev.split, start, strings_digest(captions), self.seed
        )
        stored = self.cache.get("samples", key)
        if stored is None:
            if self.generator is None:
                self.generator = model.load()
            with torch.no_grad():
                out = self.generator.generate(list(captions), derive_seed(self.seed, "chunk", start))
            images = check_generated(out, len(captions), ev.suite.resolution, f"model {model.spec.name!r}").cpu()
            self.cache.put("samples", key, {"images": images})  # only this chunk's rank writes its entry
        else:
            images = stored["images"]
        self.seconds += time.perf_counter() - t0
        return images


@contextlib.contextmanager
def _threads(n: int) -> Iterator[None]:
    """Run the block with `n` torch threads. Metric computation is small dense linear algebra
    (d = 256 eigvalsh per bootstrap resample) that threads slow down: on this project's busy
    2-core machine one 256x256 float64 eigvalsh took 13 ms with 1 thread and 568 ms with 2."""
    before = torch.get_num_threads()
    torch.set_num_threads(min(n, before))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _per_attribute(values: dict[str, dict[str, Any]]) -> dict[str, float]:
    out = {
        name.removeprefix("attribute_accuracy_"): v["value"]
        for name, v in values.items()
        if name.startswith("attribute_accuracy_") and v["value"] is not None
    }
    if out and values.get("attribute_accuracy", {}).get("value") is not None:
        out["whole caption"] = values["attribute_accuracy"]["value"]
    return out


def _single_process(*holders: Any) -> None:
    """Keep the torchmetrics states held (directly or in modules) by `holders` from being
    all-gathered again in compute(): torchmetrics syncs whenever a process group exists, but rank 0
    already holds every rank's outputs (and the other ranks compute nothing)."""
    for holder in holders:
        for value in vars(holder).values():
            for module in value.modules() if isinstance(value, torch.nn.Module) else ():
                if isinstance(module, torchmetrics.Metric):
                    module.distributed_available_fn = _no_process_group


def _no_process_group() -> bool:
    return False


def _evaluate(
    model: PreparedModel,
    ev: _Evaluation,
    extractor: CachingExtractor,
    cache: TensorCache,
    reference: ReferenceStats | None,
    metrics: list[str],
    options: dict,
    quiet: bool,
) -> dict[str, Any] | None:
    """Generate, extract and evaluate one model; the metric-bearing part of its record (on rank 0;
    None on the other ranks, which generate and extract their share of the chunks)."""
    config, main = ev.config, dist.is_main()
    evaluator = Evaluator(
        extractor,
        metrics,
        reference=reference,
        seed=config.seed,
        bootstrap=config.bootstrap,
        confidence=config.confidence,
        options=options,
    )
    for outputs in ev.reference_outputs(extractor):
        evaluator.update_reference_extracted(outputs)
    records = ev.records if main else None  # only rank 0 feeds the metrics
    t0 = time.perf_counter()
    generate = _ChunkGenerator(model, ev, cache, derive_seed(config.seed, "generation"))
    strip = None

    def work(start: int) -> dict[str, torch.Tensor]:
        nonlocal strip
        images = generate(start)
        if start == 0:
            strip = images[:SAMPLE_STRIP].numpy()
        return evaluator.extract(images, ev.captions[start : start + images.shape[0]])

    with bar(len(ev.captions), f"{model.spec.name}: generate+extract", quiet or not main) as pbar:
        for start, outputs in sharded(
            range(0, len(ev.captions), config.chunk),
            work,
            f"generating and extracting for model {model.spec.name!r}",
            extractor.device,
        ):
            end = start + next(iter(outputs.values())).shape[0]
            evaluator.update_extracted(outputs, ev.captions[start:end], records[start:end] if records else None)
            pbar.update(end - start)
    computed = None
    with dist.collective(f"computing the metrics of model {model.spec.name!r}"):
        if main:
            _single_process(evaluator, *evaluator.metrics.values())
            with _threads(1):
                computed = evaluator.compute()
    if not main:
        return None
    values = {name: {**v.to_dict(), "confidence": config.confidence} for name, v in computed.items()}
    # per-image extras a metric reports in its details become record sections of their own
    worst = values.get("attribute_accuracy", {}).get("details", {}).pop("worst_captions", None)
    gen_s = generate.seconds
    out: dict[str, Any] = {
        "metrics": values,
        "samples": {
            "captions": ev.captions[:SAMPLE_STRIP],
            "indices": list(range(min(SAMPLE_STRIP, len(ev.captions)))),
            "png": encode_strip(strip),
        },
        "timings": {"generate_s": round(gen_s, 3), "evaluate_s": round(time.perf_counter() - t0 - gen_s, 3)},
    }
    if worst is not None:
        out["worst_captions"] = worst
        out["per_attribute"] = _per_attribute(values)
    return out


def _protocol(config: RunConfig, ev: _Evaluation, extractor: CachingExtractor) -> dict[str, Any]:
    info = extractor.info
    return {
        "split": ev.split,
        "samples": config.samples,
        "captions_sha256": strings_digest(ev.captions),
        "reference": {"split": config.reference_split, "samples": config.reference_samples},
        "seed": config.seed,
        "generation_seed": derive_seed(config.seed, "generation"),
        "chunk": config.chunk,
        "bootstrap": config.bootstrap,
        "confidence": config.confidence,
        "metric_options": {k: dict(v) for k, v in sorted(config.metric_options.items())},
        "extractor": {
            "id": info.id,
            "weights_hash": info.weights_hash,
            "resize": info.resize,
            "input_size": info.input_size,
            "feature_dim": info.feature_dim,
        },
    }


def _record(
    model: PreparedModel, suite: Suite, protocol: dict[str, Any], env: dict[str, Any], cache_key: str, config: RunConfig
) -> dict[str, Any]:
    spec = model.spec
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "model": {
            "name": spec.name,
            "kind": spec.kind,
            "source": spec.source,
            "options": dict(spec.options),
            "calibration": model.role,
            "checkpoint_sha256": model.checkpoint_sha256,
            "generator_hash": model.generator_hash,
            "version": model.version,
            **model.info,
        },
        "suite": suite.protocol(),
        "protocol": protocol,
        "seeds": {
            "evaluation": config.seed,
            "generation": protocol["generation_seed"],
            "training": spec.seed if spec.kind == "baseline" else None,
        },
        "training": model.training,
        "environment": env,
        "run": {
            "cache_key": cache_key,
            "config": Path(config.path).name,
            "record_format": RECORD_FORMAT,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        },
    }


def run(
    config: RunConfig, paths: RunPaths, quiet: bool = False, echo: Callable[[str], None] = print
) -> RunSummary | None:
    """Run `config`: one result record per model in `paths.results`, then leaderboard and report.

    Under torchrun (WORLD_SIZE > 1) this joins the process group and every rank must call it; rank 0
    returns the summary, the other ranks None (they print nothing and write only their cache entries).
    """
    if config.task == "image-to-text":
        from xmbench.runner.caption_run import run_captioning

        return run_captioning(config, paths, quiet, echo)
    t_start = time.perf_counter()
    device = dist.process_device(resolve_device(config.device))
    dist.init(device)
    main = dist.is_main()
    say = (lambda msg: None) if quiet or not main else echo
    quiet = quiet or not main
    suite, split = _suite_and_split(config)
    metrics = _metric_names(config)
    options = _metric_options(config, metrics)
    check_models(config)
    cache = TensorCache(paths.cache)
    extractor = CachingExtractor(_extractor(config, device), cache)
    ev = _Evaluation(config, suite, split, quiet)
    protocol = _protocol(config, ev, extractor)
    env = environment(device)
    if dist.is_distributed():
        env["distributed"] = {"world_size": dist.world_size(), "backend": dist.backend()}
    world = f", {dist.world_size()} processes" if dist.is_distributed() else ""
    say(
        f"xmbench run: {len(config.models)} models on {suite.name} ({split}, {config.samples} captions), "
        f"extractor {extractor.info.id}, {len(metrics)} metrics, device {device}{world}"
    )
    reference = _reference_stats(ev, extractor, cache)
    records, record_paths, reused = [], [], []
    versions = _metric_versions(metrics)  # a record is reused only if no requested metric's VERSION changed
    for k, spec in enumerate(config.models, 1):
        t0 = time.perf_counter()
        with dist.collective(f"preparing model {spec.name!r}"):
            model = prepare_model(spec, config, suite, paths.cache / "train", device, quiet)
        cache_key = content_key(
            RECORD_FORMAT, model.generator_hash, model.version, suite.protocol(), protocol, versions
        )
        record = _record(model, suite, protocol, env, cache_key, config)
        record["run"]["metric_versions"] = versions
        path = paths.results / record_filename({**record, "metrics": {}})
        previous = _previous(path) if main else None
        if dist.broadcast_json(previous is not None and previous.get("run", {}).get("cache_key") == cache_key):
            records.append(previous)
            record_paths.append(path)
            reused.append(spec.name)
            say(f"[{k}/{len(config.models)}] {spec.name}: reused {path}")
            continue
        part = _evaluate(model, ev, extractor, cache, reference, metrics, options, quiet)
        with dist.collective(f"writing the record of model {spec.name!r}"):
            if main:
                record.update({key: v for key, v in part.items() if key != "timings"})
                record["timings"] = {
                    "train_s": round(model.train_s, 3),
                    **part["timings"],
                    "total_s": round(time.perf_counter() - t0, 3),
                    "trained_now": model.trained_now,
                }
                write_record(path, record)
        records.append(record)
        record_paths.append(path)
        if main:
            headline = ", ".join(
                f"{m} {record['metrics'][m]['value']:.4g}"
                for m in headline_metrics(metric_names([record]))[:3]
                if record["metrics"][m]["value"] is not None
            )
            say(f"[{k}/{len(config.models)}] {spec.name}: {headline} ({record['timings']['total_s']:.0f} s)")
    summary = None
    with dist.collective("writing the leaderboard and report"):
        if main:
            summary = _publish(config, suite, paths, records, record_paths, reused, t_start)
    return summary


def _publish(
    config: RunConfig,
    suite: Suite,
    paths: RunPaths,
    records: list[dict[str, Any]],
    record_paths: list[Path],
    reused: list[str],
    t_start: float,
) -> RunSummary:
    """Write the leaderboard (re-reading the results folder under its lock) and the reports."""
    title = f"{suite.name} leaderboard"
    md, csv, rows = update_leaderboard(
        paths.leaderboard, paths.results, records[0], title=title, rank_by=config.rank_by
    )
    report = atomic_write_text(
        paths.report, render_html(records, title=f"xmbench report: {suite.name}", rank_by=config.rank_by)
    )
    report_md = atomic_write_text(
        paths.report.with_suffix(".md"),
        render_markdown(records, title=f"xmbench: {suite.name}", rank_by=config.rank_by),
    )
    return RunSummary(records, record_paths, md, csv, report, report_md, time.perf_counter() - t_start, reused)


def _previous(path: Path) -> dict[str, Any] | None:
    """The record already at `path`, or None (absent, or unreadable: then it is recomputed)."""
    if not path.is_file():
        return None
    try:
        return read_record(path)
    except InputError as e:
        print(f"xmbench: {e}; recomputing it", file=sys.stderr)
        return None


__all__ = ["RunPaths", "RunSummary", "run", "sharded"]
