"""The runner loads shipped checkpoints instead of training, and trains several seeds per model."""

from __future__ import annotations

import json
import re

import pytest
from conftest import records_by_model, tiny_config

from baselines import training
from baselines.shipped import get_shipped
from xmbench.cli import main
from xmbench.errors import InputError
from xmbench.runner.config import parse_config

SEEDED = """
[[models]]
name = "gic"
baseline = "gan-int-cls"
steps = 2
seeds = [0, 1]
options = { batch_size = 8, ngf = 8, ndf = 8 }

[[models]]
name = "real"
calibration = "real"

[[models]]
name = "noise"
calibration = "noise"
"""


def test_seeds_expand_into_one_model_per_seed():
    config = parse_config('[suite]\nname = "shapes"\n[[models]]\nname = "g"\nbaseline = "dfgan"\nseeds = [2, 0]\n')
    assert [(m.name, m.seed, m.group) for m in config.models] == [("g-s2", 2, "g"), ("g-s0", 0, "g")]


@pytest.mark.parametrize(
    "model, message",
    [
        ('baseline = "dfgan"\nseeds = [0, 0]', "seeds [0, 0] repeat a seed"),
        ('baseline = "dfgan"\nseeds = []', "seeds must be a non-empty list of integers"),
        ('baseline = "dfgan"\nseeds = [0]\nseed = 1', "give seed or seeds, not both"),
        ('calibration = "noise"\nseeds = [0, 1]', "seeds applies only to a baseline"),
        ('checkpoint = "x"\ntrain = true', "train applies only to a baseline"),
    ],
)
def test_bad_seeds_and_train_keys(model, message):
    with pytest.raises(InputError, match=re.escape(message)):
        parse_config(f'[suite]\nname = "shapes"\n[[models]]\nname = "g"\n{model}\n')


def shipped_model(steps: int, train: bool = False) -> str:
    return f'\n[[models]]\nname = "dfgan"\nbaseline = "dfgan"\nsteps = {steps}\n' + ("train = true\n" if train else "")


def no_training_config(weights, models: str) -> str:
    text = tiny_config(weights, models=models, samples=60)
    return text.replace("train_limit = 64\n", "")  # a train_limit always trains


def test_shipped_recipe_trains_nothing_and_train_true_trains(tmp_path, random_evaluator, monkeypatch):
    shipped = get_shipped("dfgan")
    calls = []

    def refuse(*args, **kwargs):
        calls.append(kwargs)
        raise AssertionError("the shipped recipe must not train")

    monkeypatch.setattr(training, "train_baseline", refuse)
    cfg = tmp_path / "shipped.toml"
    cfg.write_text(no_training_config(random_evaluator, shipped_model(shipped.recipe["steps"])))
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    record = json.loads(records_by_model(tmp_path / "out")["dfgan"].read_text())
    assert calls == []
    assert record["model"]["checkpoint_sha256"] == shipped.sha256
    assert record["training"]["shipped"] == "dfgan" and record["timings"]["trained_now"] is False
    # train = true, or another budget, trains (here: refused by the stub, which proves it was called)
    for models in (shipped_model(shipped.recipe["steps"], train=True), shipped_model(shipped.recipe["steps"] + 1)):
        cfg.write_text(no_training_config(random_evaluator, models))
        with pytest.raises(AssertionError, match="must not train"):
            main(["run", str(cfg), "--out", str(tmp_path / "out2"), "--quiet"])
    assert len(calls) == 2 and calls[0]["steps"] == shipped.recipe["steps"]


def test_several_seeds_give_records_and_one_aggregated_row(tmp_path, random_evaluator):
    cfg = tmp_path / "seeds.toml"
    cfg.write_text(tiny_config(random_evaluator, models=SEEDED))
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    records = records_by_model(out)
    assert {"gic-s0", "gic-s1"} <= set(records)
    seeds = {json.loads(records[n].read_text())["model"]["training_seed"] for n in ("gic-s0", "gic-s1")}
    assert seeds == {0, 1}
    board = (out / "leaderboards" / "shapes.md").read_text()
    row = next(line for line in board.splitlines() if "| **gic**" in line or "| gic |" in line)
    assert " ± " in row and "gic-s0" not in board
