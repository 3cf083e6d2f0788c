"""The main job: for each configured model, train or reuse, generate for the fixed evaluation
captions, extract, evaluate, write its result record; then update the leaderboard and the report.

Every step's output lives in a content-keyed cache written atomically, so a run killed at any point
(SIGINT or SIGKILL) and started again redoes only what was missing and ends with the same numbers:
- training runs: `<cache>/train/<model>-<key>/` (the baselines' resumable checkpoints);
- generated samples: chunks of CHUNK captions, keyed by (generator hash, suite, chunk captions, seed);
- extractor outputs: keyed by (extractor id, weights hash, image bytes) — generated and real alike;
- reference statistics: npz keyed by (suite, reference split and size, extractor);
- result records: reused when their `run.cache_key` (generator, protocol, metrics) matches.
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

import xmbench
import xmbench.metrics.registry
from xmbench.atomic import atomic_write_text
from xmbench.data import get_suite
from xmbench.data.base import Suite
from xmbench.errors import InputError, XmbenchError, unknown_name
from xmbench.extractors import get_extractor, list_extractors
from xmbench.generator import check_generated
from xmbench.metrics import list_metrics
from xmbench.metrics.evaluator import Evaluator
from xmbench.metrics.fd import ReferenceStats
from xmbench.report import render_html, render_markdown
from xmbench.results import SCHEMA, SCHEMA_VERSION, read_record, record_filename, update_leaderboard, write_record
from xmbench.results.leaderboard import headline_metrics, metric_names
from xmbench.results.samples import encode_strip
from xmbench.runner.cache import TensorCache, content_key, strings_digest
from xmbench.runner.config import RunConfig, located
from xmbench.runner.environment import environment, resolve_device
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.models import PreparedModel, check_models, code_digest, prepare_model
from xmbench.runner.progress import bar
from xmbench.seeding import derive_seed

#: captions per generation chunk (fixed: chunk boundaries key the cache and derive the seeds)
CHUNK = 250
#: bump when the way a record's numbers are computed changes (invalidates reused records)
RECORD_FORMAT = 1
SAMPLE_STRIP = 8
WORST_CAPTIONS = 10
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
    def under(cls, out: str | Path, suite: str, results: str | Path | None = None,
              leaderboard: str | Path | None = None) -> RunPaths:
        out = Path(out)
        name = suite.split(":")[0]
        return cls(out, Path(results) if results else out / "results",
                   Path(leaderboard) if leaderboard else out / "leaderboards" / f"{name}.md",
                   out / "report.html", out / "cache")


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
        self._reference: list[torch.Tensor] | None = None

    @property
    def records(self) -> list[dict | None] | None:
        if self._records is None:
            out: list[dict | None] = []
            for start in range(0, self.config.samples, CHUNK):
                out += self.suite.batch(self.split, range(start, min(self.config.samples, start + CHUNK))).attributes
            self._records = out
        return self._records if any(r is not None for r in self._records) else None

    def reference_chunks(self) -> list[torch.Tensor]:
        if self._reference is None:
            m, split = self.config.reference_samples, self.config.reference_split
            with bar(m, f"render {split} reference", self.quiet) as pbar:
                chunks = []
                for start in range(0, m, CHUNK):
                    chunks.append(self.suite.batch(split, range(start, min(m, start + CHUNK))).images)
                    pbar.update(chunks[-1].shape[0])
            self._reference = chunks
        return self._reference


def _suite_and_split(config: RunConfig) -> tuple[Suite, str]:
    try:
        suite = get_suite(config.suite, **config.suite_options)
    except XmbenchError as e:
        raise located(config, "suite.name", e) from None
    split = config.split or suite.eval_split
    for key, name, count in (("evaluation.split", split, config.samples),
                             ("evaluation.reference_split", config.reference_split, config.reference_samples)):
        if name not in suite.splits:
            raise located(config, key, unknown_name(f"split of suite {suite.name!r}", name, suite.splits))
        if count > suite.splits[name]:
            raise located(config, key.replace("split", "samples"), InputError(
                f"{count} samples asked of split {name!r}, which holds {suite.splits[name]}; lower the count"))
    return suite, split


def _metric_names(config: RunConfig) -> list[str]:
    known = list_metrics()
    if config.metrics is None:
        return [m for m in METRIC_ORDER if m in known] + [m for m in known if m not in METRIC_ORDER]
    for name in config.metrics:
        if name not in known and name != "fid":
            raise located(config, "evaluation.metrics", unknown_name("metric", name, known))
    return list(config.metrics)


def _metric_options(config: RunConfig, names: list[str]) -> dict[str, dict[str, Any]]:
    for name in config.metric_options:
        if name not in names:
            raise located(config, f"metric_options.{name}", unknown_name("metric in [metric_options]", name, names))
    return {k: dict(v) for k, v in config.metric_options.items()}


def _extractor(config: RunConfig, device: torch.device):
    if config.extractor not in list_extractors():
        raise located(config, "evaluation.extractor", unknown_name("extractor", config.extractor, list_extractors()))
    return get_extractor(config.extractor, device=device, **config.extractor_options)


def _reference_stats(ev: _Evaluation, extractor: CachingExtractor, cache: TensorCache) -> ReferenceStats:
    """Reference statistics of the real reference images, from the cache or computed and cached."""
    info = extractor.info
    key = content_key("reference", ev.suite.protocol(), ev.config.reference_split, ev.config.reference_samples,
                      info.id, info.weights_hash)
    path = cache.root / "reference" / f"{key}.npz"
    if path.is_file():
        try:
            return ReferenceStats.load(path)
        except InputError as e:
            print(f"xmbench: {e}; recomputing", file=sys.stderr)
    builder = Evaluator(extractor, ["fd"], bootstrap=0)
    for chunk in ev.reference_chunks():
        builder.update_reference(chunk)
    stats = builder.reference_stats()
    with _threads(1):
        stats.save(path)  # computes and stores sqrt(sigma_ref) (one eigh)
    return stats


def _generated_chunks(model: PreparedModel, ev: _Evaluation, cache: TensorCache, seed: int,
                      pbar) -> Iterator[tuple[int, torch.Tensor]]:
    """(start, uint8 images) for each chunk of the evaluation captions, generated or from the cache."""
    generator = None
    n = len(ev.captions)
    for start in range(0, n, CHUNK):
        captions = ev.captions[start:start + CHUNK]
        key = content_key("samples", model.generator_hash, ev.suite.protocol(), ev.split, start,
                          strings_digest(captions), seed)
        stored = cache.get("samples", key)
        if stored is None:
            if generator is None:
                generator = model.load()
            with torch.no_grad():
                out = generator.generate(list(captions), derive_seed(seed, "chunk", start))
            images = check_generated(out, len(captions), ev.suite.resolution, f"model {model.spec.name!r}").cpu()
            cache.put("samples", key, {"images": images})
        else:
            images = stored["images"]
        pbar.update(images.shape[0])
        yield start, images


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


def _worst_captions(judgements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scored = []
    for k, j in enumerate(judgements):
        flags = [v for values in j["judgements"].values() for v in values]
        scored.append((sum(flags) / max(len(flags), 1), k, j))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [{"caption": j["caption"], "score": round(s, 4), "index": k, "note": j["reason"]}
            for s, k, j in scored[:WORST_CAPTIONS]]


def _per_attribute(values: dict[str, dict[str, Any]]) -> dict[str, float]:
    out = {name.removeprefix("attribute_accuracy_"): v["value"] for name, v in values.items()
           if name.startswith("attribute_accuracy_") and v["value"] is not None}
    if out and values.get("attribute_accuracy", {}).get("value") is not None:
        out["whole caption"] = values["attribute_accuracy"]["value"]
    return out


def _evaluate(model: PreparedModel, ev: _Evaluation, extractor: CachingExtractor, cache: TensorCache,
              reference: ReferenceStats, metrics: list[str], options: dict, quiet: bool) -> dict[str, Any]:
    """Generate, extract and evaluate one model; the metric-bearing part of its record."""
    config = ev.config
    gen_seed = derive_seed(config.seed, "generation")
    evaluator = Evaluator(extractor, metrics, reference=reference, seed=config.seed, bootstrap=config.bootstrap,
                          confidence=config.confidence, options=options)
    for chunk in ev.reference_chunks():
        evaluator.update_reference(chunk)
    records = ev.records
    t0 = time.perf_counter()
    strip = None
    gen_s = 0.0
    with bar(len(ev.captions), f"{model.spec.name}: generate+extract", quiet) as pbar:
        chunks = _generated_chunks(model, ev, cache, gen_seed, pbar)
        while True:
            t1 = time.perf_counter()
            item = next(chunks, None)
            gen_s += time.perf_counter() - t1
            if item is None:
                break
            start, images = item
            if strip is None:
                strip = images[:SAMPLE_STRIP].numpy()
            end = start + images.shape[0]
            evaluator.update(images, ev.captions[start:end], records[start:end] if records else None)
    with _threads(1):
        computed = evaluator.compute()
    values = {name: {**v.to_dict(), "confidence": config.confidence} for name, v in computed.items()}
    out: dict[str, Any] = {
        "metrics": values,
        "samples": {"captions": ev.captions[:SAMPLE_STRIP], "indices": list(range(min(SAMPLE_STRIP, len(ev.captions)))),
                    "png": encode_strip(strip)},
        "timings": {"generate_s": round(gen_s, 3), "evaluate_s": round(time.perf_counter() - t0 - gen_s, 3)},
    }
    attribute_metric = evaluator.metrics.get("attribute_accuracy")
    if attribute_metric is not None:
        out["worst_captions"] = _worst_captions(attribute_metric.judgements)
        out["per_attribute"] = _per_attribute(values)
    return out


def _protocol(config: RunConfig, ev: _Evaluation, extractor: CachingExtractor) -> dict[str, Any]:
    info = extractor.info
    return {"split": ev.split, "samples": config.samples, "captions_sha256": strings_digest(ev.captions),
            "reference": {"split": config.reference_split, "samples": config.reference_samples},
            "seed": config.seed, "generation_seed": derive_seed(config.seed, "generation"), "chunk": CHUNK,
            "bootstrap": config.bootstrap, "confidence": config.confidence,
            "metric_options": {k: dict(v) for k, v in sorted(config.metric_options.items())},
            "extractor": {"id": info.id, "weights_hash": info.weights_hash, "resize": info.resize,
                          "input_size": info.input_size, "feature_dim": info.feature_dim}}


def _record(model: PreparedModel, suite: Suite, protocol: dict[str, Any], env: dict[str, Any],
            cache_key: str, config: RunConfig) -> dict[str, Any]:
    spec = model.spec
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
        "model": {"name": spec.name, "kind": spec.kind, "source": spec.source, "options": dict(spec.options),
                  "calibration": model.role, "checkpoint_sha256": model.checkpoint_sha256,
                  "generator_hash": model.generator_hash, **model.info},
        "suite": suite.protocol(), "protocol": protocol,
        "seeds": {"evaluation": config.seed, "generation": protocol["generation_seed"],
                  "training": spec.seed if spec.kind == "baseline" else None},
        "training": model.training, "environment": env,
        "run": {"cache_key": cache_key, "config": Path(config.path).name, "record_format": RECORD_FORMAT,
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")},
    }


def run(config: RunConfig, paths: RunPaths, quiet: bool = False,
        echo: Callable[[str], None] = print) -> RunSummary:
    """Run `config`: one result record per model in `paths.results`, then leaderboard and report."""
    t_start = time.perf_counter()
    say = (lambda msg: None) if quiet else echo
    device = resolve_device(config.device)
    suite, split = _suite_and_split(config)
    metrics = _metric_names(config)
    options = _metric_options(config, metrics)
    check_models(config)
    cache = TensorCache(paths.cache)
    extractor = CachingExtractor(_extractor(config, device), cache)
    ev = _Evaluation(config, suite, split, quiet)
    protocol = _protocol(config, ev, extractor)
    env = environment(device)
    say(f"xmbench run: {len(config.models)} models on {suite.name} ({split}, {config.samples} captions), "
        f"extractor {extractor.info.id}, {len(metrics)} metrics, device {device}")
    reference = _reference_stats(ev, extractor, cache)
    records, record_paths, reused = [], [], []
    metrics_code = code_digest(xmbench.metrics.registry)  # a record is reused only if its metric code is unchanged
    for k, spec in enumerate(config.models, 1):
        t0 = time.perf_counter()
        model = prepare_model(spec, config, suite, paths.cache / "train", device, quiet)
        cache_key = content_key(RECORD_FORMAT, xmbench.__version__, metrics_code, model.generator_hash,
                                suite.protocol(), protocol, metrics)
        record = _record(model, suite, protocol, env, cache_key, config)
        path = paths.results / record_filename({**record, "metrics": {}})
        previous = _previous(path)
        if previous is not None and previous.get("run", {}).get("cache_key") == cache_key:
            records.append(previous)
            record_paths.append(path)
            reused.append(spec.name)
            say(f"[{k}/{len(config.models)}] {spec.name}: reused {path}")
            continue
        part = _evaluate(model, ev, extractor, cache, reference, metrics, options, quiet)
        record.update({key: v for key, v in part.items() if key != "timings"})
        record["timings"] = {"train_s": round(model.train_s, 3), **part["timings"],
                             "total_s": round(time.perf_counter() - t0, 3), "trained_now": model.trained_now}
        write_record(path, record)
        records.append(record)
        record_paths.append(path)
        headline = ", ".join(f"{m} {record['metrics'][m]['value']:.4g}"
                             for m in headline_metrics(metric_names([record]))[:3]
                             if record["metrics"][m]["value"] is not None)
        say(f"[{k}/{len(config.models)}] {spec.name}: {headline} ({record['timings']['total_s']:.0f} s)")
    title = f"{suite.name} leaderboard"
    md, csv, rows = update_leaderboard(paths.leaderboard, paths.results, records[0], title=title, rank_by=config.rank_by)
    report = atomic_write_text(paths.report, render_html(records, title=f"xmbench report: {suite.name}",
                                                         rank_by=config.rank_by))
    report_md = atomic_write_text(paths.report.with_suffix(".md"),
                                  render_markdown(records, title=f"xmbench: {suite.name}", rank_by=config.rank_by))
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


__all__ = ["CHUNK", "RunPaths", "RunSummary", "run"]
