"""DDP training of the baselines under torchrun (2 CPU processes, gloo): see ddp_worker.py."""

import json

import pytest

from baselines.checkpoint import LATEST_FILE

pytestmark = pytest.mark.distributed


def _ranks(out):
    return [json.loads((out / f"rank-{r}.json").read_text()) for r in (0, 1)]


def test_ranks_draw_different_batches_and_end_identical(launched):
    r0, r1 = _ranks(launched[0])
    assert r0["rank_seed"] != r1["rank_seed"]  # different per-rank batches and noise ...
    for key in ("dfgan_resumed", "dfgan_straight", "wgan_gp", "stackgan", "show_attend_tell"):
        assert r0[key] == r1[key], key  # ... yet identical parameters and buffers: gradients averaged
    assert r0["dfgan_straight"] != r0["dfgan_init"]  # and training changed them


def test_gradient_penalties_train_under_ddp(launched):
    out = launched[0]
    # MA-GP (DF-GAN) and the WGAN-GP interpolate penalty both call autograd.grad(create_graph=True)
    for run in ("dfgan-straight", "gic-wgan-gp"):
        curves = json.loads((out / run / "curves.json").read_text())
        assert curves and all(v == v for row in curves for v in row.values())  # finite, logged
    assert "ma_gp" in json.loads((out / "dfgan-straight" / "curves.json").read_text())[-1]


def test_checkpoints_are_written_once_by_rank_zero(launched):
    out = launched[0]
    r0, r1 = _ranks(out)
    assert r1["saved"] == []
    assert r0["saved"] == [
        "dfgan-resumed/checkpoints/step-0000002",
        "dfgan-resumed/checkpoints/step-0000003",
        "dfgan-straight/checkpoints/step-0000002",
        "dfgan-straight/checkpoints/step-0000003",
        "gic-wgan-gp/checkpoints/step-0000002",
        "stackgan/checkpoints/step-0000002",
        "sat/checkpoints/step-0000002",
    ]
    latest = json.loads((out / "dfgan-resumed" / LATEST_FILE).read_text())
    assert latest == {"step": 3, "checkpoint": "checkpoints/step-0000003"}
    config = json.loads((out / "dfgan-resumed" / "checkpoints" / "step-0000003" / "config.json").read_text())
    assert config["world_size"] == 2
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_resumed_run_equals_the_uninterrupted_run(launched):
    r0, _ = _ranks(launched[0])
    assert r0["dfgan_resumed"] == r0["dfgan_straight"]


def test_parameters_outside_the_wrapped_modules_are_refused(launched):
    for report in _ranks(launched[0]):
        assert report["stray"].startswith(
            "XmbenchError: baseline '?' trains parameters that are not in a child module (extra, ...)"
        ), report["stray"]
