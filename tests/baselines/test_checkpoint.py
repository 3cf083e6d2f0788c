"""Save -> load -> identical samples; resume reproduces the uninterrupted run; bad checkpoints."""

import json

import pytest
import safetensors.torch
import torch

from baselines.checkpoint import checkpoint_hash, load_checkpoint, read_config
from baselines.training import train_baseline
from xmbench.errors import InputError, WeightsError


@pytest.fixture
def run(tiny_options):
    return dict(train_limit=16, checkpoint_every=2, quiet=True, samples=0, **tiny_options)


def test_save_load_identical_samples_and_plain_safetensors(tmp_path, suite, run):
    path = train_baseline("dfgan", suite, tmp_path / "run", steps=2, **{**run, "samples": 4})
    model = load_checkpoint(tmp_path / "run")
    again = load_checkpoint(path / "model.safetensors")
    captions = suite.captions("test", range(6))
    assert torch.equal(model.generate(captions, 5), again.generate(captions, 5))
    plain = safetensors.torch.load_file(str(path / "model.safetensors"))
    assert set(plain) == set(model.state_dict())
    assert read_config(path)["baseline"] == "dfgan" and read_config(path)["step"] == 2
    assert json.loads((path / "config.json").read_text())["resolution"] == 32
    assert len(checkpoint_hash(path)) == 64 and checkpoint_hash(path) == checkpoint_hash(tmp_path / "run")
    assert (tmp_path / "run" / "samples" / "step-0000002.png").stat().st_size > 0
    assert (tmp_path / "run" / "curves.csv").read_text().startswith("step,")


@pytest.mark.parametrize("name", ["gan-int-cls", "stackgan"])
def test_resume_reproduces_uninterrupted_run(tmp_path, suite, name, run):
    full = train_baseline(name, suite, tmp_path / "full", steps=4, **run)
    train_baseline(name, suite, tmp_path / "cut", steps=2, **run)  # "killed" after the step-2 checkpoint
    resumed = train_baseline(name, suite, tmp_path / "cut", steps=4, **run)
    a = safetensors.torch.load_file(str(full / "model.safetensors"))
    b = safetensors.torch.load_file(str(resumed / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    o1 = safetensors.torch.load_file(str(full / "optimizer.safetensors"))
    o2 = safetensors.torch.load_file(str(resumed / "optimizer.safetensors"))
    assert all(torch.equal(o1[k], o2[k]) for k in o1)
    rows = json.loads((tmp_path / "cut" / "curves.json").read_text())
    assert [r["step"] for r in rows] == [2, 4]  # each run logs its final step; no duplicates


def test_eval_hook_rows(tmp_path, suite, run):
    calls = []

    def hook(step, generator):
        calls.append(step)
        return {"mean_pixel": float(generator.generate(["a red circle"], 0).float().mean())}

    train_baseline("gan-int-cls", suite, tmp_path / "run", steps=2, eval_hook=hook, **run)
    rows = json.loads((tmp_path / "run" / "curves.json").read_text())
    assert calls == [2] and "mean_pixel" in rows[-1]


def test_bad_checkpoints(tmp_path, suite, run):
    path = train_baseline("gan-int-cls", suite, tmp_path / "run", steps=2, **run)
    with pytest.raises(InputError, match="is a 'gan-int-cls' model, not 'dfgan'"):
        load_checkpoint(path, baseline="dfgan")
    with pytest.raises(InputError, match="32x32, the suite is 64x64"):
        load_checkpoint(path, resolution=64)
    data = (path / "model.safetensors").read_bytes()
    broken = tmp_path / "broken" / "model.safetensors"
    broken.parent.mkdir()
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="truncated or corrupt"):
        load_checkpoint(broken)
    with pytest.raises(WeightsError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "nowhere")
    # a run folder of another baseline refuses to be resumed by a different one
    with pytest.raises(InputError, match="holds a different run"):
        train_baseline("stackgan", suite, tmp_path / "run", steps=2, **run)


def test_checkpoint_without_newer_options_loads_with_their_old_behaviour(tmp_path, suite, tiny):
    from baselines.checkpoint import LEGACY_OPTIONS, save_checkpoint

    model = tiny("gan-int-cls", suite, text_encoder="joint", d_projection=False)
    path = save_checkpoint(model, tmp_path / "old", {"step": 0})
    tensors = safetensors.torch.load_file(str(path / "model.safetensors"))
    config = read_config(path)
    for key in LEGACY_OPTIONS:
        config["options"].pop(key, None)  # as written before these options existed
    safetensors.torch.save_file(tensors, str(path / "model.safetensors"), metadata={"xmbench": json.dumps(config)})
    loaded = load_checkpoint(path)
    assert loaded.options["text_encoder"] == "joint" and loaded.options["d_projection"] is False
    assert torch.equal(loaded.generate(["a red circle"], 1), model.generate(["a red circle"], 1))
