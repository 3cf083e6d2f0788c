"""The training loop: seeded steps, progress bar, checkpoints, sample grids, curves, resume.

Run folder layout:
  run.json                      what is being trained (baseline, config, suite protocol, seed)
  latest.json                   {"step": S, "checkpoint": "checkpoints/step-000000S"}
  checkpoints/step-XXXXXXX/     model.safetensors, optimizer.safetensors, config.json
  samples/step-XXXXXXX.png      sample grid: images generated for the fixed sample captions (generators) or the
                                fixed sample images with the model's captions (captioners)
  curves.json, curves.csv       one row per logged step: losses, images/s, training CPU seconds so far
                                (cpu_s: this process's, all threads, summed over resumed runs), eval-hook metrics

Step s draws its batch and all its noise from generators seeded by derive_seed(seed, ..., s), so a
run resumed from a checkpoint at step s reproduces the uninterrupted run's steps s+1, s+2, ...

Under torchrun (baselines.parallel) every rank trains a DDP replica on its own batches of
`batch_size` (seeded by (seed, rank)); rank 0 alone writes the run folder, and every rank resumes
from the same checkpoint.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from baselines import parallel
from baselines.base import Baseline
from baselines.checkpoint import LATEST_FILE, load_checkpoint, read_latest, save_checkpoint
from baselines.data import SplitTensors, load_split
from baselines.registry import as_suite, get_baseline
from xmbench import distributed as dist
from xmbench.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from xmbench.data.base import Suite
from xmbench.errors import InputError, XmbenchError
from xmbench.seeding import derive_seed

EvalHook = Callable[[int, Any], dict[str, float]]
RUN_FILE = "run.json"
EMA_STATISTICS_CAPTIONS = 1024  # training captions the EMA generator's batch-norm statistics are measured on


def batch_indices(seed: int, step: int, n: int, batch_size: int) -> torch.Tensor:
    """int64 (batch_size,) indices into the training split for `step` (with replacement)."""
    return torch.randint(n, (batch_size,), generator=torch.Generator().manual_seed(derive_seed(seed, "batch", step)))


def step_generator(seed: int, step: int) -> torch.Generator:
    """The CPU generator all of step `step`'s noise comes from."""
    return torch.Generator().manual_seed(derive_seed(seed, "noise", step))


def _write_curves(out: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_json(out / "curves.json", rows)
    fields = sorted({k for r in rows for k in r} - {"step"})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["step", *fields])
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "curves.csv", buf.getvalue())


def _identity(model: Baseline, suite: Suite, seed: int) -> dict[str, Any]:
    options = {k: v for k, v in model.options.items() if k != "steps"}
    return {
        "baseline": model.name,
        "options": options,
        "resolution": model.resolution,
        "suite": suite.protocol(),
        "seed": seed,
    }


def train(
    model: Baseline,
    suite: Suite,
    data: SplitTensors,
    out_dir: str | os.PathLike,
    *,
    steps: int,
    seed: int = 0,
    checkpoint_every: int = 250,
    log_every: int = 25,
    eval_every: int = 0,
    eval_hook: EvalHook | None = None,
    until: Callable[[list[dict[str, Any]]], bool] | None = None,
    samples: tuple[torch.Tensor, list[str]] | None = None,
    quiet: bool = False,
) -> Path:
    """Train `model` to `steps` steps in `out_dir`, resuming from its latest checkpoint if any.

    model: a Baseline (text -> image) or a TrainableCaptioner (image -> text): anything with
    options, tokenizer, max_len, optimizers(), train_step(), refresh_ema_statistics() and sample_grid().
    samples: uint8 images (N,3,R,R) and their captions for each checkpoint's sample grid (None: no grids).

    Returns the final checkpoint folder. eval_hook(step, model) -> {metric: value} runs every
    `eval_every` steps (0: only at the end) and its values join the curves (on rank 0 only under
    torchrun, where batch_size is per process: the global batch is world size x batch_size); its CPU
    time is kept out of the rows' training `cpu_s` and counted in `eval_cpu_s`. until(rows) -> bool,
    asked after each evaluation, ends training there (checkpointed) when it says True: `steps` is then a
    maximum (single process only).
    """
    out = Path(out_dir)
    ids_all = model.tokenizer.encode(data.captions, model.max_len)
    start, rows = _resume(model, suite, out, seed)
    latest = read_latest(out) if start else None
    last = out / latest[1] if latest else None
    if last is not None and until is not None and until(rows):
        return last  # this run already stopped at its plateau
    model.train()
    schedule = _Schedule(steps, checkpoint_every, log_every, eval_every)
    curves = _Curves(out, rows, model.options["batch_size"] * dist.world_size())
    ema = _EmaStatistics(ids_all, seed)
    draw_seed = parallel.rank_seed(seed)
    bar = tqdm(
        total=steps,
        initial=start,
        desc=model.name,
        unit="step",
        dynamic_ncols=True,
        disable=quiet or not sys.stderr.isatty() or not dist.is_main(),
    )
    with parallel.DataParallel(model) as dp:
        for step in range(start, steps):
            logs = _train_step(model, data, ids_all, draw_seed, step)
            done = step + 1
            curves.steps_since += 1
            if schedule.logs(done):
                row = curves.row(done, logs)
                evaluated = dist.is_main() and eval_hook is not None and schedule.evaluates(done)
                if evaluated:
                    with curves.evaluation(row):
                        ema.refresh(model)
                        with dp.plain():
                            row.update(eval_hook(done, model))
                        model.train()
                curves.add(row)
                bar.set_postfix({k: f"{v:.3g}" for k, v in row.items() if k != "step"})
                if evaluated and until is not None and until(curves.rows):
                    last = _save(model, suite, out, done, seed, samples, dp, ema)
                    break
            bar.update(1)
            if schedule.checkpoints(done):
                last = _save(model, suite, out, done, seed, samples, dp, ema)
    bar.close()
    if last is None:
        raise InputError(f"nothing to train: steps={steps}; pass --steps >= 1")
    return last


def _resume(model: Any, suite: Suite, out: Path, seed: int) -> tuple[int, list[dict[str, Any]]]:
    """(step to start from, curve rows so far): the latest checkpoint in `out` loaded into `model`
    (weights and optimisers), or (0, []) after recording the run's identity in a fresh folder.
    Every rank resumes from the same checkpoint."""
    identity = _identity(model, suite, seed)
    start, rows = 0, []
    with dist.collective(f"reading the run folder {out}"):
        latest = read_latest(out)  # a damaged latest.json falls back to the newest complete checkpoint
        if latest is not None:
            _check_identity(out, identity)
            start = latest[0]
            resumed = load_checkpoint(
                out, baseline=model.name, resolution=model.resolution, device=model.device, optimizer=True
            )
            model.load_state_dict(resumed.state_dict())
            for key, opt in model.optimizers().items():
                opt.load_state_dict(resumed.optimizers()[key].state_dict())
            rows = [r for r in read_curves(out) if r["step"] <= start]
        elif dist.is_main():
            atomic_write_json(out / RUN_FILE, identity)
    if len(set(dist.all_gather_json(start))) > 1:
        raise XmbenchError(
            f"the ranks found different checkpoints in {out}; under torchrun with several "
            "nodes the run folder must be on a filesystem every node shares"
        )
    return start, rows


def read_curves(run_dir: Path) -> list[dict[str, Any]]:
    """The logged rows of a run folder's curves.json; [] when it is absent or damaged (it is rewritten)."""
    try:
        rows = json.loads((run_dir / "curves.json").read_bytes())
    except (OSError, ValueError):
        return []
    ok = isinstance(rows, list) and all(isinstance(r, dict) and isinstance(r.get("step"), int) for r in rows)
    return rows if ok else []


def _read_run_file(path: Path) -> dict[str, Any]:
    """The identity a run folder was started with; one line when it is missing or damaged."""
    try:
        recorded = json.loads(path.read_bytes()[:65536])
    except (OSError, ValueError) as e:
        raise InputError(
            f"{path} is unreadable ({type(e).__name__}); delete the run folder {path.parent} or pass another --out"
        ) from None
    if not isinstance(recorded, dict):
        raise InputError(f"{path} is not a run description; delete the run folder {path.parent} or pass another --out")
    return recorded


def _check_identity(out: Path, identity: dict[str, Any]) -> None:
    """Refuse to resume a run folder that trains something else."""
    recorded = _read_run_file(out / RUN_FILE)
    if recorded != identity:
        diff = sorted(k for k in identity if recorded.get(k) != identity[k])
        raise InputError(
            f"{out} holds a different run ({', '.join(diff)} differ: it trains "
            f"{recorded.get('baseline')!r}); pass another --out or the same settings"
        )


def _train_step(model: Any, data: SplitTensors, ids_all: torch.Tensor, draw_seed: int, step: int) -> dict:
    """One optimisation step on the batch and noise of `step`; its losses averaged over ranks."""
    device = model.device
    idx = batch_indices(draw_seed, step, len(data.captions), model.options["batch_size"])
    images = data.images[idx].to(device).float().div_(127.5).sub_(1)
    logs = parallel.mean_logs(model.train_step(images, ids_all[idx].to(device), step_generator(draw_seed, step)))
    if not all(math.isfinite(v) for v in logs.values()):
        raise XmbenchError(
            f"training diverged at step {step + 1} ({logs}); lower the learning rates or pick another --loss"
        )
    return logs


@dataclass(frozen=True)
class _Schedule:
    """When a step (counted from 1) logs a curve row, runs the eval hook, writes a checkpoint; the
    last step does all three."""

    steps: int
    checkpoint_every: int
    log_every: int
    eval_every: int

    def logs(self, done: int) -> bool:
        return done % self.log_every == 0 or done == self.steps or self.evaluates(done)

    def evaluates(self, done: int) -> bool:
        return bool(self.eval_every and done % self.eval_every == 0) or done == self.steps

    def checkpoints(self, done: int) -> bool:
        return done % self.checkpoint_every == 0 or done == self.steps


class _Curves:
    """The training curves (rows written to curves.json / .csv on rank 0), with the images/s since
    the last row and the process's training CPU seconds, carried across resumes through the rows."""

    def __init__(self, out: Path, rows: list[dict[str, Any]], global_batch: int) -> None:
        self.out, self.rows, self.global_batch = out, rows, global_batch
        self.t0, self.steps_since = time.perf_counter(), 0
        self.cpu0 = time.process_time() - (rows[-1].get("cpu_s", 0.0) if rows else 0.0)
        self.eval_cpu = rows[-1].get("eval_cpu_s", 0.0) if rows else 0.0

    @contextlib.contextmanager
    def evaluation(self, row: dict[str, Any]) -> Iterator[None]:
        """Time an evaluation: its CPU seconds move from the training's `cpu_s` to `eval_cpu_s`."""
        cpu = time.process_time()
        yield
        spent = time.process_time() - cpu
        self.cpu0 += spent
        self.eval_cpu += spent
        row["eval_cpu_s"] = round(self.eval_cpu, 2)

    def row(self, done: int, logs: dict[str, float]) -> dict[str, Any]:
        rate = self.steps_since * self.global_batch / (time.perf_counter() - self.t0)
        return {
            "step": done,
            **{k: round(v, 5) for k, v in logs.items()},
            "images_per_s": round(rate, 1),
            "cpu_s": round(time.process_time() - self.cpu0, 2),
        }

    def add(self, row: dict[str, Any]) -> None:
        """Append `row`, write the curves (rank 0) and restart the rate's clock."""
        self.rows.append(row)
        if dist.is_main():
            _write_curves(self.out, self.rows)
        self.t0, self.steps_since = time.perf_counter(), 0


class _EmaStatistics:
    """Refreshes the EMA generator's batch-norm statistics on a fixed draw of training captions."""

    def __init__(self, ids_all: torch.Tensor, seed: int) -> None:
        self.seed = derive_seed(seed, "ema-statistics")
        self.ids = ids_all[batch_indices(self.seed, 0, len(ids_all), EMA_STATISTICS_CAPTIONS)]

    def refresh(self, model: Any) -> None:
        model.refresh_ema_statistics(self.ids, self.seed)


def _save(
    model: Any,
    suite: Suite,
    out: Path,
    done: int,
    seed: int,
    samples: tuple[torch.Tensor, list[str]] | None,
    dp: parallel.DataParallel,
    ema: _EmaStatistics,
) -> Path:
    """Checkpoint step `done` (rank 0 writes; every rank syncs buffers first); returns its folder."""
    name = f"step-{done:07d}"
    ema.refresh(model)
    parallel.sync_buffers(model)
    with dist.collective(f"writing checkpoint {name}"), dp.plain():
        if dist.is_main():
            _checkpoint(model, suite, out, name, seed, samples)
    return out / "checkpoints" / name


def _checkpoint(
    model: Any, suite: Suite, out: Path, name: str, seed: int, samples: tuple[torch.Tensor, list[str]] | None
) -> None:
    """Write checkpoint `name` (step-N), point latest.json at it, and draw its sample grid."""
    info: dict[str, Any] = {"step": int(name.split("-")[1]), "seed": seed, "suite": suite.protocol()}
    if dist.world_size() > 1:
        info["world_size"] = dist.world_size()
    save_checkpoint(model, out / "checkpoints" / name, info)
    atomic_write_json(out / LATEST_FILE, {"step": info["step"], "checkpoint": f"checkpoints/{name}"})
    if samples is not None and samples[1]:
        atomic_write_bytes(out / "samples" / f"{name}.png", model.sample_grid(*samples))


def train_baseline(
    name: str,
    suite: str | Suite = "shapes",
    out_dir: str | os.PathLike = "xmbench-out/train",
    steps: int | None = None,
    seed: int = 0,
    device: str = "cpu",
    loss: str | None = None,
    eval_hook: EvalHook | None = None,
    until: Callable[[list[dict[str, Any]]], bool] | None = None,
    quiet: bool = False,
    eval_every: int = 0,
    checkpoint_every: int = 250,
    train_limit: int | None = None,
    samples: int = 16,
    **options: Any,
) -> Path:
    """Train baseline or captioner `name` on `suite`'s training split; returns the final checkpoint folder.

    steps: default the baseline's budget (options["steps"]); loss: override the objective;
    train_limit: use only the first N training samples (tests); samples: items of each checkpoint's
    sample grid (the first of the suite's eval split; 0 = no grids); options: other baseline options.
    Rerunning with the same arguments continues from the last checkpoint in `out_dir`.
    """
    suite = as_suite(suite)
    device = dist.process_device(device)  # under torchrun: joins the process group, cuda -> cuda:LOCAL_RANK
    dist.init(device)
    torch.manual_seed(derive_seed(seed, "init"))
    data = dist.main_first(lambda: load_split(suite, "train", limit=train_limit), "rendering the training split")
    if loss is not None:
        options["loss"] = loss
    model = get_baseline(name, suite, captions=data.captions, **options)
    if model.text_frozen:
        from baselines.text_pretrain import pretrained_encoder_state

        model.encoder.load_state_dict(
            dist.main_first(
                lambda: pretrained_encoder_state(
                    model.encoder,
                    model.tokenizer,
                    model.max_len,
                    suite,
                    data.captions,
                    steps=model.options["text_steps"],
                    seed=seed,
                ),
                "pre-training the caption encoder",
            )
        )
    try:
        model.to(device)
    except (RuntimeError, AssertionError) as e:
        raise InputError(f"device {device!r} is not usable here ({str(e).splitlines()[0]}); try --device cpu") from None
    shown = suite.batch(suite.eval_split, range(min(samples, suite.size(suite.eval_split)))) if samples else None
    return train(
        model,
        suite,
        data,
        out_dir,
        steps=steps or model.options["steps"],
        seed=seed,
        checkpoint_every=checkpoint_every,
        eval_every=eval_every,
        eval_hook=eval_hook,
        until=until,
        samples=(shown.images, shown.captions) if shown is not None else None,
        quiet=quiet,
    )
