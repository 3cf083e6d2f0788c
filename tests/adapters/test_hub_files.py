"""Where a Hugging Face model's files are: a hub id found in the local cache loads offline, keyed by its
commit; one that is not cached, with the hub out of reach, or a missing package, is one line."""

import shutil

import pytest
import torch
from tiny_hf import run_model

import xmbench.adapters.hub as hub
from xmbench.adapters.diffusers import DiffusersGenerator
from xmbench.adapters.hub import locate

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def cached_sd(tiny_sd, tmp_path, monkeypatch):
    """The tiny pipeline as hub id tiny-org/tiny-sd in a Hugging Face cache (its main ref at COMMIT)."""
    repo = tmp_path / "hub" / "models--tiny-org--tiny-sd"
    shutil.copytree(tiny_sd, repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    return "tiny-org/tiny-sd"


def test_a_cached_hub_id_loads_offline_and_is_keyed_by_its_commit(cached_sd, tiny_sd):
    files = locate(cached_sd, None, "model_index.json")
    assert files.folder is None and files.identity() == {"id": cached_sd, "revision": COMMIT}
    by_id = DiffusersGenerator(files, 32, num_inference_steps=1).generate(["a red circle"], seed=0)
    by_folder = DiffusersGenerator(locate(str(tiny_sd), None, "model_index.json"), 32, num_inference_steps=1)
    assert torch.equal(by_id, by_folder.generate(["a red circle"], seed=0))


def test_an_unreachable_hub_is_one_line_naming_what_to_fetch(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("HF_HUB_OFFLINE")

    def no_network(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'huggingface.co'")

    monkeypatch.setattr("huggingface_hub.HfApi.model_info", no_network)
    code, config = run_model(tmp_path, 'diffusers = "org/model"\noptions = { revision = "v2" }\n', "text-to-image")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "the hub is unreachable (ConnectionError)" in err, err
    assert "`huggingface-cli download org/model --revision v2`" in err


@pytest.mark.parametrize(("kind", "task"), [("diffusers", "text-to-image"), ("transformers", "image-to-text")])
def test_without_the_package_the_kind_is_one_line(monkeypatch, tmp_path, capsys, kind, task):
    find_spec = hub.importlib.util.find_spec
    monkeypatch.setattr(hub.importlib.util, "find_spec", lambda name: None if name == kind else find_spec(name))
    code, config = run_model(tmp_path, f'{kind} = "org/model"\n', task)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "pip install 'xmbench[hf]'" in err and f"{config}:" in err, err
