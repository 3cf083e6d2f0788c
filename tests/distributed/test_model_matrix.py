"""Every model kind of both tasks under torchrun (2 CPU processes, gloo), launched as 2 processes on
one node and as 2 nodes of one process meeting at a c10d rendezvous: each record equals the
single-process record field for field (less environment, timings, run.created and the training
curves' speed columns). One config per task holds every kind; each launch runs both configs
(matrix_worker.py), so there are three launches.

A `train = true` baseline trains with DDP on world size x batch_size: a different model from the
single-process one (its training key holds the world size), so its records are compared between
the two launch styles, which both train it on 2 processes.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import child_env, torchrun, torchrun_nodes

from baselines.shipped import get_shipped
from xmbench.results import read_record
from xmbench.runner.models import KINDS

pytestmark = [pytest.mark.distributed, pytest.mark.slow]

HERE = Path(__file__).parent
MATRIX_WORKER = HERE / "matrix_worker.py"
TRAINING = '[training]\ndevice = "cpu"\ntrain_limit = 16\nquiet = true\n'
GAN_TINY = {"batch_size": 4, "ngf": 4, "ndf": 4, "text_dim": 8, "nz": 4, "text_encoder": "joint"}
CAPTIONER_TINY = {"batch_size": 4, "width": 4, "embed": 8, "hidden": 8}
EVALUATION = {
    "text-to-image": """
        reference_samples = 30
        [metric_options]
        kid = { subsets = 5, subset_size = 20 }
        r_precision = { candidates = 10, folds = 2 }
        """,
    "image-to-text": """
        task = "image-to-text"
        metrics = ["caption_correctness", "bleu", "cider_d", "clip_s", "caption_r_precision"]
        [metric_options]
        caption_r_precision = { candidates = 10, folds = 2 }
        """,
}
#: columns of a training curve's rows that time the training (baselines.training)
CURVE_TIMINGS = ("images_per_s", "cpu_s")
#: the reference model of each task: shipped weights, DDP training, a checkpoint the test trains
REFERENCE = {"text-to-image": ("gan-int-cls", GAN_TINY), "image-to-text": ("show-and-tell", CAPTIONER_TINY)}


def _toml(options: dict[str, Any]) -> str:
    return "{ " + ", ".join(f"{k} = {v!r}".replace("'", '"') for k, v in options.items()) + " }"


def _models(task: str, checkpoint: Path) -> dict[str, str]:
    """Model name -> its [[models]] keys: every kind of KINDS for `task`."""
    name, tiny = REFERENCE[task]
    models = {
        "shipped": f'baseline = "{name}"',
        "trained": f'baseline = "{name}"\ntrain = true\nsteps = 2\noptions = {_toml(tiny)}',
        "checkpoint": f'checkpoint = "{checkpoint}"',
    }
    if task == "text-to-image":
        models |= {"import": 'import = "matrix_models:InvertedReal"', "calibration": 'calibration = "noise"'}
    else:
        models |= {
            "shipped-captioner": f'captioner = "{name}"',
            "import": 'import = "matrix_models:Brightness"',
            "calibration": 'calibration = "random"',
        }
    return {f"{name}-{kind}": keys for kind, keys in models.items()}


def _config(task: str, checkpoint: Path) -> str:
    """30 inputs in 3 chunks of 10 (rank 0 owns chunks 0 and 2, rank 1 chunk 1), every kind of model."""
    head = '[suite]\nname = "shapes"\n\n[evaluation]\nsamples = 30\nchunk = 10\nbootstrap = 10\ndevice = "cpu"\n'
    evaluation = "\n".join(line.strip() for line in EVALUATION[task].splitlines())
    models = "".join(f'\n[[models]]\nname = "{n}"\n{keys}\n' for n, keys in _models(task, checkpoint).items())
    return head + evaluation + "\n" + TRAINING + models


@pytest.fixture(scope="module")
def configs(tmp_path_factory) -> list[Path]:
    """Both tasks' configs, beside the user's model module; their checkpoints trained here (2 tiny steps, seed 1:
    not the `train = true` model)."""
    from baselines.training import train_baseline

    folder = tmp_path_factory.mktemp("matrix")
    shutil.copy(HERE / "matrix_models.py", folder)
    paths = []
    for task, (name, tiny) in REFERENCE.items():
        checkpoint = train_baseline(name, out_dir=folder / name, steps=2, seed=1, train_limit=16, quiet=True, **tiny)
        paths.append(folder / f"{task}.toml")
        paths[-1].write_text(_config(task, checkpoint))
    return paths


def _worker(out: Path, configs: list[Path]) -> list[str]:
    """matrix_worker.py's arguments: both configs into `out`."""
    return [str(MATRIX_WORKER), str(out), *map(str, configs)]


def _finished(procs: list[subprocess.CompletedProcess]) -> None:
    for proc in procs:
        assert proc.returncode == 0, proc.stderr[-4000:]


@pytest.fixture(scope="module")
def single(tmp_path_factory, configs) -> Path:
    """Both configs in one plain process (no process group), same environment as the launches."""
    out = tmp_path_factory.mktemp("matrix-1proc")
    cmd = [sys.executable, *_worker(out, configs)]
    _finished([subprocess.run(cmd, env=child_env(), capture_output=True, text=True, timeout=300)])
    return out


@pytest.fixture(scope="module")
def launched(tmp_path_factory, configs) -> dict[str, Path]:
    """Both configs under torchrun, launch style -> output folder: 2 processes on one node, 2 nodes."""
    outs = {style: tmp_path_factory.mktemp(f"matrix-{style}") for style in ("2-processes", "2-nodes")}
    _finished([torchrun(_worker(outs["2-processes"], configs))])
    _finished(torchrun_nodes(_worker(outs["2-nodes"], configs)))
    return outs


def _records(out: Path) -> dict[str, dict[str, Any]]:
    return {p.name.split("--")[0]: read_record(p) for p in sorted((out / "results").glob("*.json"))}


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    """The record less what may differ between two runs of one model: environment, timings (the record's
    and the training curves' speed columns) and creation time."""
    record = copy.deepcopy(record)
    del record["environment"], record["timings"], record["run"]["created"]
    for row in (record["training"] or {}).get("curves", []):
        for column in CURVE_TIMINGS:
            row.pop(column, None)
    return record


#: kinds not in the matrix yet, each with its own single-process tests: outputs read from disk
#: (tests/runner/test_sample_folders.py, tests/captioning/test_predictions_files.py) and the Hugging Face
#: adapters (tests/adapters); a new kind must join the matrix or this list
NOT_IN_MATRIX = {"samples", "predictions", "diffusers", "transformers"}


def test_the_matrix_holds_every_kind_of_both_tasks(single):
    records = _records(single)
    for task in REFERENCE:
        kinds = {r["model"]["kind"] for r in records.values() if r["task"] == task}
        assert kinds == set(KINDS) - NOT_IN_MATRIX, task
    assert len(records) == 11


@pytest.mark.parametrize("style", ["2-processes", "2-nodes"])
def test_every_kind_gives_the_single_process_record(single, launched, style):
    one, two = _records(single), _records(launched[style])
    assert sorted(one) == sorted(two)
    for name, record in two.items():
        assert record["environment"]["distributed"] == {"world_size": 2, "backend": "gloo"}
        if not name.endswith("-trained"):
            assert _comparable(record) == _comparable(one[name]), name


def test_ddp_training_is_the_same_in_both_launch_styles(single, launched):
    one, procs, nodes = _records(single), *(_records(out) for out in launched.values())
    for name in (n for n in one if n.endswith("-trained")):
        assert _comparable(procs[name]) == _comparable(nodes[name]), name
        assert procs[name]["timings"]["trained_now"] and nodes[name]["timings"]["trained_now"]
        # 2 processes train on twice the batch: another model than the single process's
        assert procs[name]["model"]["model_hash"] != one[name]["model"]["model_hash"]


@pytest.mark.parametrize("style", ["2-processes", "2-nodes"])
def test_shipped_baselines_load_under_torchrun(launched, style):
    out = launched[style]
    records = _records(out)
    for task, (name, _) in REFERENCE.items():
        for model in (n for n in records if n.startswith(f"{name}-shipped")):
            record = records[model]
            assert record["model"]["checkpoint_sha256"] == get_shipped(name).sha256, model
            assert not record["timings"]["trained_now"] and record["timings"]["train_s"] == 0, model
            assert not list((out / "cache" / "train").glob(f"{model}-*")), model
            if task == "text-to-image":
                assert record["training"]["shipped"] == get_shipped(name).name
