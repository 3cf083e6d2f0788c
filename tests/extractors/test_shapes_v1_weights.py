"""shapes-v1 weights IO and the Extractor contract, with randomly initialised weights saved to a temp file."""

import json

import pytest
import torch
from safetensors.torch import save_file

from xmbench.errors import InputError, WeightsError
from xmbench.extractors import get_extractor, list_extractors
from xmbench.extractors.shapes_v1 import ShapesV1Extractor
from xmbench.extractors.shapes_v1.network import NetConfig, ShapesNet
from xmbench.extractors.shapes_v1.targets import HEAD_NAMES, IS_CLASSES
from xmbench.extractors.shapes_v1.weights import load_weights, save_weights, sidecar
from xmbench.filehash import sha256_file
from xmbench.text.tokenizer import WordTokenizer


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    torch.manual_seed(0)
    tokenizer = WordTokenizer.from_captions(["a small red circle in the top left", "a big blue square above a box"])
    model = ShapesNet(NetConfig(vocab_size=len(tokenizer))).eval()
    path = tmp_path_factory.mktemp("w") / "random.safetensors"
    sha = save_weights(model, tokenizer, path)
    return path, sha, model


def test_save_load_round_trip(random_weights):
    path, sha, model = random_weights
    loaded, tokenizer, digest = load_weights(path)
    assert digest == sha == sha256_file(path)
    for k, v in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v)
    assert tokenizer.vocab[:2] == ["a", "above"]


def test_wrong_hash_is_one_line(random_weights, tmp_path):
    path, sha, _ = random_weights
    with pytest.raises(WeightsError, match="expected 000000000000") as e:
        load_weights(path, sha256="0" * 64)
    assert "\n" not in str(e.value)
    # the JSON beside the file is the default expectation
    copy = tmp_path / "copy.safetensors"
    copy.write_bytes(path.read_bytes())
    sidecar(copy).write_text(json.dumps({"sha256": "f" * 64}))
    with pytest.raises(WeightsError, match="sha256"):
        load_weights(copy)


def test_wrong_architecture_and_foreign_files(random_weights, tmp_path):
    path, _, model = random_weights
    with open(path, "rb") as f:
        from safetensors.torch import load

        state = load(f.read())
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
    state["image_heads.heads.count.weight"] = torch.zeros(3, 256)
    bad = tmp_path / "bad.safetensors"
    save_file(state, str(bad), metadata=metadata)
    with pytest.raises(WeightsError, match="do not match the architecture"):
        load_weights(bad)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"x": torch.zeros(2)}, str(foreign))
    with pytest.raises(WeightsError, match="not a shapes-v1 weights file"):
        load_weights(foreign)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not safetensors at all")
    with pytest.raises(WeightsError, match="not a readable safetensors"):
        load_weights(junk)
    with pytest.raises(WeightsError, match="train-evaluator"):
        load_weights(tmp_path / "missing.safetensors")


def test_extractor_outputs(random_weights):
    path, sha, _ = random_weights
    ex = get_extractor("shapes-v1", weights=path)
    assert isinstance(ex, ShapesV1Extractor) and ex.info.weights_hash == sha
    assert ex.info.input_size == 32 and ex.info.resize == "none" and ex.info.feature_dim == 256
    images = torch.randint(0, 256, (7, 3, 32, 32), dtype=torch.uint8)
    out = ex.images(images)
    assert out["features"].shape == (7, 256)
    assert out["logits"].shape == (7, len(IS_CLASSES))
    assert torch.allclose(out["logits"].exp().sum(1), torch.ones(7), atol=1e-5)
    assert torch.allclose(out["image_embed"].norm(dim=1), torch.ones(7), atol=1e-5)
    assert out["attributes"].shape == (7, len(HEAD_NAMES)) and out["attributes"].dtype == torch.int64
    # batching inside the extractor does not change the result
    ex.batch_size = 3
    again = ex.images(images)
    assert torch.allclose(again["features"], out["features"], atol=1e-5)
    text = ex.text(["a small red circle in the top left", "a big blue square above a box"])
    assert text.shape == (2, 128) and torch.allclose(text.norm(dim=1), torch.ones(2), atol=1e-5)
    assert len(ex.scenes(out["attributes"])) == 7


def test_bad_inputs_are_one_line(random_weights):
    path, _, _ = random_weights
    ex = get_extractor("shapes-v1", weights=path)
    with pytest.raises(InputError, match="takes 32x32 images and has no resize contract, got 64x64"):
        ex.images(torch.zeros(2, 3, 64, 64, dtype=torch.uint8))
    with pytest.raises(InputError, match="did you mean 'shapes-v1'"):
        get_extractor("shapes-v2")
    assert "shapes-v1" in list_extractors()
