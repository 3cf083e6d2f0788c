"""Caches key on explicit versions: a bumped VERSION re-keys, an edited source file does not."""

import textwrap

import torch

from baselines.gan_int_cls import GanIntCls
from xmbench.registry import CALIBRATION
from xmbench.runner.config import parse_config
from xmbench.runner.models import ModelContext, prepare_model, training_key

CONFIG = """
[suite]
name = "shapes"

[[models]]
name = "g"
baseline = "gan-int-cls"
steps = 2

[[models]]
name = "noise"
calibration = "noise"
"""


def _prepare(config, spec, shapes, tmp_path):
    ctx = ModelContext(config, shapes, shapes.eval_split, tmp_path / "train", torch.device("cpu"), quiet=True)
    return prepare_model(ctx, spec)


def test_the_training_key_follows_the_baseline_version(shapes, monkeypatch):
    config = parse_config(CONFIG)
    spec = config.models[0]
    before = training_key(spec, config, shapes)
    assert training_key(spec, config, shapes) == before
    monkeypatch.setattr(GanIntCls, "VERSION", GanIntCls.VERSION + 1)
    assert training_key(spec, config, shapes) != before


def test_a_calibration_model_hash_follows_its_version(shapes, tmp_path, monkeypatch):
    config = parse_config(CONFIG)
    spec = config.models[1]
    noise = CALIBRATION.get("noise")
    model = _prepare(config, spec, shapes, tmp_path)
    assert model.version == noise.VERSION and model.role == "floor"
    monkeypatch.setattr(noise, "VERSION", noise.VERSION + 1)
    assert _prepare(config, spec, shapes, tmp_path).model_hash != model.model_hash


def test_an_imported_model_keys_on_its_version_not_its_file(shapes, tmp_path, monkeypatch):
    source = textwrap.dedent(
        """
        class Gen:
            VERSION = 3

            def generate(self, captions, seed):
                raise NotImplementedError
        """
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    config = parse_config(CONFIG + '\n[[models]]\nname = "mine"\nimport = "user_gen_mod:Gen"\n')
    spec = config.models[2]

    def prepared(text):
        (tmp_path / "user_gen_mod.py").write_text(text)
        monkeypatch.delitem(__import__("sys").modules, "user_gen_mod", raising=False)
        return _prepare(config, spec, shapes, tmp_path)

    first = prepared(source)
    assert first.version == 3 and "VERSION" in first.info["cache_note"]
    assert prepared(source + "\n# a comment\n").model_hash == first.model_hash
    assert prepared(source.replace("VERSION = 3", "VERSION = 4")).model_hash != first.model_hash
    # without a VERSION the module file's hash stands in
    plain = source.replace("    VERSION = 3\n", "")
    unversioned = prepared(plain)
    assert unversioned.version is None and "hash" in unversioned.info["cache_note"]
    assert prepared(plain + "\n# edited\n").model_hash != unversioned.model_hash
