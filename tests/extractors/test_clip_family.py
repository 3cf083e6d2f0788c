"""`clip:ARCH/PRETRAINED` extractors, on a tiny open_clip architecture registered for the test (random
weights in a tmp file; nothing is downloaded)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from open_clip import factory, pretrained
from safetensors.torch import save_file

from xmbench.errors import InputError, WeightsError
from xmbench.extractors import get_extractor
from xmbench.extractors.clip_models import clip_model
from xmbench.extractors.standard_weights import CATALOGUE
from xmbench.metrics.evaluator import Evaluator
from xmbench.registry import EXTRACTORS

ARCH = "xmb-Tiny-ViT"
TINY = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
MEAN, STD = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
TAG = {"hf_hub": "example/tiny-clip/", "mean": MEAN, "std": STD, "resize_mode": "squash", "quick_gelu": True}


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    """The tiny architecture known to open_clip with one pretrained tag ("test"); its random weights file."""
    import open_clip

    monkeypatch.setitem(factory._MODEL_CONFIGS, ARCH, TINY)
    monkeypatch.setitem(pretrained._PRETRAINED, ARCH, {"test": TAG})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = open_clip.create_model(ARCH, pretrained=None, force_quick_gelu=True)
    path = tmp_path / "tiny.safetensors"
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, str(path))
    return path, model.eval()


def _images(n, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).integers(0, 256, (n, 3, 40, 24), dtype=np.uint8))


def test_any_open_clip_model_by_id(tiny):
    import open_clip

    path, model = tiny
    ex = get_extractor(f"clip:{ARCH}/TEST", weights=path)  # tags match as open_clip matches them
    info = ex.info
    assert info.id == f"clip:{ARCH}/test" and info.model == f"open_clip {ARCH}/test"
    assert (info.mean, info.std, info.input_size, info.feature_dim) == (MEAN, STD, 32, 16)
    assert info.resize == "bicubic-antialias-squash-32; mean=[0.5, 0.4, 0.3] std=[0.2, 0.25, 0.3]"
    assert any(isinstance(m, open_clip.transformer.QuickGELU) for m in ex._model.modules())  # the tag's activation
    images = _images(3)
    out = ex.images(images)
    # reference: squash to 32x32 (bicubic, antialiased), the tag's mean/std, open_clip's own network
    pixels = F.interpolate(images.float() / 255, size=(32, 32), mode="bicubic", antialias=True, align_corners=False)
    pixels = (pixels - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    with torch.no_grad():
        ref = F.normalize(model.encode_image(pixels), dim=-1)
        ref_text = F.normalize(model.encode_text(open_clip.get_tokenizer(ARCH)(["a red bird", "a cat"])), dim=-1)
    assert torch.allclose(out["image_embed"], ref, atol=2e-3)
    assert torch.allclose(ex.text(["a red bird", "a cat"]), ref_text, atol=1e-5)


@pytest.mark.filterwarnings("ignore:.*rank-deficient")
def test_metrics_take_any_clip_extractor(tiny):
    ex = get_extractor(f"clip:{ARCH}/test", weights=tiny[0])
    ev = Evaluator(ex, ["clip_score", "cmmd", "fd"], bootstrap=0)
    ev.update_reference(_images(4, seed=1))
    ev.update(_images(4, seed=2), ["a red bird", "a cat", "two dogs", "a tree"])
    names = set(ev.compute())
    assert {"clip_score", "mmd_rbf_clip_xmb_tiny_vit_test", "fd_clip_xmb_tiny_vit_test"} <= names


def test_registry_family_and_unknown_names():
    assert "clip:ViT-L-14/openai" in EXTRACTORS and "clip:" in EXTRACTORS.summaries()
    with pytest.raises(InputError, match=r"unknown open_clip pretrained tag of ViT-B-32 'laion2b'; did you mean"):
        get_extractor("clip:ViT-B-32/laion2b")
    with pytest.raises(InputError, match=r"unknown open_clip architecture 'ViT-L-41'; did you mean .*'ViT-L-14'"):
        get_extractor("clip:ViT-L-41/openai")
    with pytest.raises(InputError, match=r"clip:ARCH/PRETRAINED"):
        get_extractor("clip:ViT-L-14")
    with pytest.raises(InputError, match=r"clip:ARCH/PRETRAINED"):
        get_extractor("clip:")  # the family's own name, as listed


def test_missing_weights_name_the_file_where_it_goes_and_its_source(tmp_path, monkeypatch):
    monkeypatch.setenv("XMBENCH_HOME", str(tmp_path))
    with pytest.raises(WeightsError) as e:
        get_extractor("clip:ViT-L-14-336/openai")
    msg = str(e.value)
    file_name = "open_clip_vit-l-14-336_openai.safetensors"
    assert "\n" not in msg and f"needs {file_name}: put it at {tmp_path}/weights/{file_name}" in msg
    assert "--weights" in msg and "timm/vit_large_patch14_clip_336.openai" in msg and "no sha256 is pinned" in msg


def test_vit_b_32_openai_is_clip_vit_b_32(tmp_path, monkeypatch):
    m = clip_model("ViT-B-32/openai")
    assert (m.extractor_id, m.file_name) == ("clip-vit-b-32", CATALOGUE["clip-vit-b-32"].file_name)
    monkeypatch.setenv("XMBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("XMBENCH_OFFLINE", "1")
    with pytest.raises(WeightsError, match=r"extractor 'clip-vit-b-32' needs open_clip_vit_b_32_openai.safetensors"):
        get_extractor("clip:ViT-B-32/openai")  # the pinned file, its URL and hash, not a new name


def test_a_file_of_another_architecture_is_one_line(tiny):
    with pytest.raises(WeightsError, match=r"tiny.safetensors does not fit open_clip ViT-L-14 \('visual.class_emb"):
        get_extractor("clip:ViT-L-14/openai", weights=tiny[0])
