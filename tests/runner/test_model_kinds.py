"""One model-kind table for both tasks: a reference name loads its shipped weights unless training is
asked for (train = true, steps or a training option), in either direction; every kind checks that it
serves the run's task and that each option it is given is used."""

import pytest
import torch

from baselines.shipped import get_shipped
from xmbench.cli import main
from xmbench.runner.config import parse_config
from xmbench.runner.models import ModelContext, check_models, prepare_model

TRAIN = "\n[training]\ntrain_limit = 16\nquiet = true\n"
CAPTIONER_TINY = "{ width = 4, embed = 8, hidden = 8, batch_size = 4 }"
GAN_TINY = "{ batch_size = 4, ngf = 4, ndf = 4, text_dim = 8, nz = 4 }"


def _config(task: str, model: str, training: str = "") -> str:
    return f'[suite]\nname = "shapes"\n[evaluation]\ntask = "{task}"\nsamples = 100\n\n[[models]]\n{model}\n{training}'


def _prepared(text, shapes, tmp_path):
    config = parse_config(text, str(tmp_path / "run.toml"))
    ctx = ModelContext(config, shapes, shapes.eval_split, tmp_path / "train", torch.device("cpu"), quiet=True)
    check_models(ctx)
    return prepare_model(ctx, config.models[0])


@pytest.mark.parametrize(("task", "name"), [("text-to-image", "gan-int-cls"), ("image-to-text", "show-and-tell")])
@pytest.mark.parametrize("training", ["", TRAIN])  # [training] is for the models that train
def test_a_reference_name_alone_loads_the_shipped_weights(shapes, tmp_path, task, name, training):
    model = _prepared(_config(task, f'baseline = "{name}"', training), shapes, tmp_path)
    assert model.checkpoint_sha256 == get_shipped(name).sha256
    assert not model.trained_now and not (tmp_path / "train").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "name", "tiny"),
    [("text-to-image", "gan-int-cls", GAN_TINY), ("image-to-text", "show-and-tell", CAPTIONER_TINY)],
)
@pytest.mark.parametrize("how", ["train = true\nsteps = 2", "options.steps = 2"])
def test_asking_for_training_trains_in_either_direction(shapes, tmp_path, task, name, tiny, how):
    how = how.replace("options.steps = 2", f"options = {tiny[:-1]}, steps = 2 }}")
    options = "" if "options" in how else f"\noptions = {tiny}"
    model = _prepared(_config(task, f'baseline = "{name}"\n{how}{options}', TRAIN), shapes, tmp_path)
    assert model.trained_now and model.training["steps"] == 2
    assert model.checkpoint_sha256 != get_shipped(name).sha256
    loaded = model.load()
    if task == "image-to-text":
        captions = loaded.caption(shapes.batch("test", range(2)).images, seed=0)
        assert len(captions) == 2 and all(isinstance(c, str) for c in captions)
    else:
        assert loaded.generate(["a red circle"], seed=0).shape[0] == 1
    # the same request again reuses the cached training
    again = _prepared(_config(task, f'baseline = "{name}"\n{how}{options}', TRAIN), shapes, tmp_path)
    assert not again.trained_now and again.model_hash == model.model_hash


@pytest.mark.parametrize(
    ("task", "model", "message"),
    [
        ("image-to-text", 'checkpoint = "baselines/weights/gan-int-cls.safetensors"', "does not caption"),
        ("text-to-image", 'checkpoint = "baselines/weights/show-and-tell.safetensors"', "does not generate"),
        ("text-to-image", 'baseline = "show-attend-tell"', "it serves image-to-text runs"),
        ("image-to-text", 'baseline = "dfgan"', "it serves text-to-image runs"),
        ("image-to-text", 'baseline = "show-and-tell"\noptions = { bogus = 1 }', "unknown option of 'show-and-tell'"),
        ("text-to-image", 'checkpoint = "baselines/weights/gan-int-cls.safetensors"\noptions = { beam = 2 }', "beam"),
        ("image-to-text", 'calibration = "constant"\noptions = { x = 1 }', "takes no options"),
        ("image-to-text", 'import = "toy_module_without_factory"', "needs a factory"),
    ],
)
def test_a_kind_that_does_not_serve_the_task_is_one_line(tmp_path, capsys, task, model, message):
    path = tmp_path / "run.toml"
    path.write_text(_config(task, f'name = "m"\n{model}'))
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and f"{path}:" in err, err
    assert not (tmp_path / "out" / "results").exists()
