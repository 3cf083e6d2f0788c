"""Shipped reference checkpoints: hashes, size, recipes that round-trip into the same training."""

from __future__ import annotations

import json
import shutil

import pytest

from baselines import training
from baselines.checkpoint import load_checkpoint, read_config
from baselines.registry import baseline_class
from baselines.shipped import (
    SHIPPED_DIR,
    find_shipped,
    get_shipped,
    shipped_names,
    training_arguments,
    verified_file,
)
from xmbench.cli import main
from xmbench.data import get_suite
from xmbench.errors import InputError, WeightsError
from xmbench.filehash import sha256_file

GANS = ("gan-int-cls", "stackgan", "dfgan")


def test_every_reference_gan_ships_within_the_size_budget():
    assert set(GANS) <= set(shipped_names())
    total = sum(p.stat().st_size for p in SHIPPED_DIR.iterdir())
    assert total <= 20 * 2**20
    for name in shipped_names():
        shipped = get_shipped(name)
        assert verified_file(shipped) == SHIPPED_DIR / f"{name}.safetensors"
        assert shipped.sha256 == sha256_file(shipped.file)
        assert shipped.meta["size_bytes"] == shipped.file.stat().st_size
        assert shipped.meta["cost"]["cpu_s"] > 0 and shipped.meta["cost"]["threads"] >= 1
        # bumping a baseline's VERSION means its shipped weights must be retrained and shipped again
        assert shipped.recipe["baseline_version"] == baseline_class(shipped.recipe["baseline"]).VERSION


@pytest.mark.parametrize("name", GANS)
def test_recipe_round_trips_into_the_same_training(name):
    shipped = get_shipped(name)
    args = training_arguments(shipped.recipe)
    suite = get_suite(args["suite"], **args["suite_options"])
    config = read_config(shipped.file)
    # the vocabulary comes from the training captions (rendering them is slow): take the recorded one
    model = baseline_class(args["name"])(config["vocab"], suite.resolution, config["max_len"], **args["options"])
    # the run identity train() records (and resumes against) is the shipped checkpoint's
    identity = training._identity(model, suite, args["seed"])
    assert identity == {
        "baseline": config["baseline"],
        "options": {k: v for k, v in config["options"].items() if k != "steps"},
        "resolution": config["resolution"],
        "suite": config["suite"],
        "seed": config["seed"],
    }
    assert args["steps"] == config["step"] == config["options"]["steps"]
    assert args["options"]["batch_size"] == shipped.recipe["batch_size"]
    assert find_shipped(name, identity["options"], args["steps"], args["seed"], suite.protocol()) == shipped
    other = {**identity["options"], "lr_g": identity["options"]["lr_g"] * 2}
    assert find_shipped(name, other, args["steps"], args["seed"], suite.protocol()) is None
    assert find_shipped(name, identity["options"], args["steps"] + 1, args["seed"], suite.protocol()) is None


def test_train_recipe_shipped_passes_the_recipe(monkeypatch, capsys):
    seen = {}

    def fake_train(name, suite, out, **kwargs):
        seen.update(name=name, suite=suite.protocol(), **kwargs)
        return out

    monkeypatch.setattr(training, "train_baseline", fake_train)
    assert main(["train", "dfgan", "--recipe", "shipped", "--out", "unused", "--quiet"]) == 0
    recipe = get_shipped("dfgan").recipe
    options = {k: v for k, v in seen.items() if k not in ("name", "suite", "steps", "seed", "device", "quiet")}
    options = {k: v for k, v in options.items() if k not in ("checkpoint_every", "train_limit")}
    assert (seen["name"], seen["suite"], seen["steps"], seen["seed"]) == (
        "dfgan",
        recipe["suite"],
        recipe["steps"],
        recipe["seed"],
    )
    assert options == recipe["options"] and seen["train_limit"] is None


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "dfgan", "--recipe", "shipped", "--steps", "5"], "--recipe fixes the whole training; drop --steps"),
        (["train", "dfgan", "--recipe", "stackgan"], "recipe 'stackgan' trains 'stackgan', not 'dfgan'"),
        (["train", "dfgan", "--recipe", "dfgn"], "unknown shipped checkpoint 'dfgn'; did you mean 'dfgan'?"),
    ],
)
def test_recipe_errors_are_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def copy_shipped(tmp_path, name="dfgan"):
    for suffix in (".json", ".safetensors"):
        shutil.copy(SHIPPED_DIR / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    return get_shipped(name, tmp_path)


def test_changed_bytes_fail_the_hash_check(tmp_path):
    shipped = copy_shipped(tmp_path)
    data = bytearray(shipped.file.read_bytes())
    data[-1] ^= 1
    shipped.file.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="has sha256 .*expected .*reinstall xmbench"):
        verified_file(shipped)
    shipped.file.unlink()
    with pytest.raises(WeightsError, match="is missing; reinstall xmbench or retrain"):
        verified_file(shipped)


def test_foreign_record_is_refused(tmp_path):
    shipped = copy_shipped(tmp_path)
    (tmp_path / "dfgan.json").write_text(json.dumps({**shipped.meta, "format": "something-else/1"}))
    with pytest.raises(WeightsError, match="is not a shipped checkpoint record"):
        get_shipped("dfgan", tmp_path)
    (tmp_path / "dfgan.json").write_text("{not json")
    with pytest.raises(WeightsError, match="unreadable"):
        get_shipped("dfgan", tmp_path)
    with pytest.raises(InputError, match="unknown shipped checkpoint 'dfgn'"):
        get_shipped("dfgn", tmp_path)


def test_shipped_weights_load_and_generate():
    model = load_checkpoint(verified_file(get_shipped("gan-int-cls")))
    images = model.generate(["a red circle at the top left"], seed=0)
    assert images.shape == (1, 3, 32, 32) and images.dtype.is_floating_point is False
