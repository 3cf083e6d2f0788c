import hashlib
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import save_file
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

from xmbench.errors import WeightsError
from xmbench.extractors import get_extractor, list_extractors
from xmbench.extractors.inception import FILE_NAME as INCEPTION_FILE
from xmbench.extractors.standard_weights import CATALOGUE

CLIP_FILE = CATALOGUE["clip-vit-b-32"].file_name


def _images(n, size, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).integers(0, 256, (n, 3, size, size), dtype=np.uint8))


def test_registry_lists_the_standard_extractors():
    names = list_extractors()
    assert {"inception-v3-fid", "inception-v3-finetuned", "clip-vit-b-32"} <= set(names)


@pytest.mark.slow
def test_inception_matches_torch_fidelity_on_its_own_loading(inception, inception_file, inception_state):
    info = inception.info
    assert (info.id, info.input_size, info.resize, info.feature_dim) == ("inception-v3-fid", 299, "tf1-bilinear", 2048)
    assert info.weights_hash == hashlib.sha256(inception_file.read_bytes()).hexdigest()
    assert info.yields == {"features", "logits"}
    # the reference: torch-fidelity's network loading the same file by itself (test-made file, so unpickling is safe)
    ref = FeatureExtractorInceptionV3(
        "inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=str(inception_file)
    )
    for images in (_images(1, 299), _images(1, 40)):  # the network's own size, and the TF1-bilinear resize
        out = inception.images(images)
        with torch.no_grad():
            features, logits = ref(images)
        assert out["features"].shape == (1, 2048) and out["logits"].shape == (1, 1008)
        assert torch.equal(out["features"], features) and torch.equal(out["logits"], logits)
    assert float(out["features"].std()) > 1e-3  # the random network is not degenerate
    # IS logits leave out the fc bias, as the original Inception Score code and torch-fidelity do
    assert torch.allclose(out["logits"], out["features"] @ inception_state["fc.weight"].T, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_finetuned_inception_has_its_own_head_with_bias(inception_state, tmp_path):
    tuned = {**inception_state, "fc.weight": torch.randn(5, 2048) * 0.01, "fc.bias": torch.arange(5.0)}
    path = tmp_path / "tuned.safetensors"
    save_file(tuned, str(path))
    ex = get_extractor("inception-v3-finetuned", weights=path)
    assert ex.n_classes == 5 and ex.info.id == "inception-v3-finetuned"
    out = ex.images(_images(2, 32, seed=1))
    assert out["logits"].shape == (2, 5)
    assert torch.allclose(out["logits"], out["features"] @ tuned["fc.weight"].T + tuned["fc.bias"], atol=1e-4)


def test_weights_found_under_xmbench_home(inception_file, tmp_path, monkeypatch):
    monkeypatch.setenv("XMBENCH_HOME", str(tmp_path))
    (tmp_path / "weights").mkdir()
    shutil.copy(inception_file, tmp_path / "weights" / INCEPTION_FILE)
    assert (
        get_extractor("inception-v3-fid").info.weights_hash == hashlib.sha256(inception_file.read_bytes()).hexdigest()
    )


@pytest.mark.parametrize(
    "name, file_name, source",
    [
        (
            "inception-v3-fid",
            INCEPTION_FILE,
            "https://github.com/toshas/torch-fidelity/releases/",
        ),
        ("clip-vit-b-32", CLIP_FILE, "timm/vit_base_patch32_clip_224.openai"),
        ("inception-v3-finetuned", "inception-v3-finetuned-cub.safetensors", "fine-tuned on the dataset"),
    ],
)
def test_missing_weights_name_the_file_where_it_goes_and_its_source(tmp_path, monkeypatch, name, file_name, source):
    monkeypatch.setenv("XMBENCH_HOME", str(tmp_path))
    with pytest.raises(WeightsError) as e:
        get_extractor(name)
    msg = str(e.value)
    assert "\n" not in msg and f"needs {file_name}: put it at {tmp_path}/weights/{file_name}" in msg
    assert "--weights" in msg and source in msg
    with pytest.raises(WeightsError, match=r"weights file '.*nope.pth' not found"):
        get_extractor(name, weights=tmp_path / "nope.pth")


class _Payload:
    """Unpicklable by weights_only=True: a file holding it must be refused, not executed."""


def test_bad_weights_files_are_one_line(tmp_path):
    pickled = tmp_path / "code.pth"
    torch.save({"x": _Payload()}, pickled)
    with pytest.raises(WeightsError, match=r"code.pth is unreadable \(.*\); give a state dict"):
        get_extractor("inception-v3-fid", weights=pickled)
    other = tmp_path / "linear.safetensors"
    save_file(torch.nn.Linear(3, 4).state_dict(), str(other))
    with pytest.raises(WeightsError, match=r"does not fit torch-fidelity's InceptionV3"):
        get_extractor("inception-v3-fid", weights=other)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a safetensors file" * 4)
    with pytest.raises(WeightsError, match=r"garbage.safetensors is unreadable"):
        get_extractor("inception-v3-fid", weights=garbage)
    scripted = tmp_path / "ViT-B-32.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(scripted))
    with pytest.raises(WeightsError, match=r"ViT-B-32.pt is a TorchScript archive \(code is not loaded\)"):
        get_extractor("clip-vit-b-32", weights=scripted)
    with pytest.raises(WeightsError, match=r"linear.safetensors does not fit open_clip ViT-B-32"):
        get_extractor("clip-vit-b-32", weights=other)


@pytest.mark.slow
def test_clip_embeddings_match_open_clip_pipeline(clip_file):
    import open_clip

    ex = get_extractor("clip-vit-b-32", weights=clip_file)
    assert ex.info.weights_hash == hashlib.sha256(clip_file.read_bytes()).hexdigest()
    assert ex.info.mean == pytest.approx([0.48145466, 0.4578275, 0.40821073])
    assert ex.info.model == "open_clip ViT-B-32/openai" and ex.info.id == "clip-vit-b-32"
    assert ex.info.resize == "bicubic-antialias-shortest-224+centre-crop; openai-mean-std"
    rng = np.random.default_rng(3)
    # smooth images (upsampled noise) so resampling differences stay small, as on photographs
    small = rng.integers(0, 256, (2, 12, 16, 3), dtype=np.uint8)
    pil = [Image.fromarray(a).resize((320, 240), Image.Resampling.BILINEAR) for a in small]
    images = torch.from_numpy(np.stack([np.asarray(p) for p in pil])).permute(0, 3, 1, 2).contiguous()
    out = ex.images(images)
    assert out["image_embed"].shape == (2, 512)
    assert torch.allclose(out["image_embed"].norm(dim=-1), torch.ones(2), atol=1e-5)
    # reference: open_clip's own PIL preprocessing for this model, into the network open_clip loaded
    cfg = open_clip.get_model_preprocess_cfg(ex._model)
    preprocess = open_clip.image_transform(
        cfg["size"],
        is_train=False,
        mean=cfg["mean"],
        std=cfg["std"],
        interpolation=cfg["interpolation"],
        resize_mode=cfg["resize_mode"],
    )
    model = ex._model
    with torch.no_grad():
        ref = F.normalize(model.encode_image(torch.stack([preprocess(p) for p in pil])), dim=-1)
        tokens = open_clip.get_tokenizer("ViT-B-32-quickgelu")(["a red bird", "a yellow flower"])
        ref_text = F.normalize(model.encode_text(tokens), dim=-1)
    cos = (out["image_embed"] * ref).sum(-1)
    assert float(cos.min()) > 0.999, cos
    text = ex.text(["a red bird", "a yellow flower"])
    assert torch.allclose(text, ref_text, atol=1e-5)
    assert torch.allclose(text.norm(dim=-1), torch.ones(2), atol=1e-5)
