"""`dinov2-vit-l-14` on a narrow, shallow network of the same layout (random weights in Meta's checkpoint
format, written to a tmp file), against a DINOv2 forward pass written out here."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from timm.models.vision_transformer import VisionTransformer

from xmbench.errors import WeightsError
from xmbench.extractors import dinov2, get_extractor
from xmbench.metrics.evaluator import Evaluator

TINY = {"embed_dim": 32, "depth": 2, "num_heads": 2}


@pytest.fixture
def checkpoint(monkeypatch, tmp_path):
    """A random Meta-format checkpoint of the tiny network: 518 px position embedding, mask token, LayerScale."""
    monkeypatch.setattr(dinov2, "NETWORK", TINY)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = VisionTransformer(img_size=518, patch_size=14, init_values=1.0, num_classes=0, **TINY)
        state = {k: v + 0.1 * torch.randn_like(v) for k, v in net.state_dict().items()}  # no zero biases, gammas ≠ 1
        state["mask_token"] = torch.randn(1, 32)
    path = tmp_path / "dinov2_tiny.pth"
    torch.save(state, path)
    return path, state


def _dinov2_forward(state, x):
    """DINOv2's forward (Meta's DinoVisionTransformer.forward at 224 px): patches, CLS, interpolated position
    embedding, pre-norm blocks with LayerScale, final norm, CLS token."""
    dim, heads = TINY["embed_dim"], TINY["num_heads"]
    x = F.conv2d(x, state["patch_embed.proj.weight"], state["patch_embed.proj.bias"], stride=14)
    x = torch.cat([state["cls_token"].expand(len(x), -1, -1), x.flatten(2).transpose(1, 2)], dim=1)
    pos = state["pos_embed"][:, 1:].reshape(1, 37, 37, dim).permute(0, 3, 1, 2)
    pos = F.interpolate(pos, scale_factor=(16.1 / 37, 16.1 / 37), mode="bicubic").permute(0, 2, 3, 1)
    x = x + torch.cat([state["pos_embed"][:, :1], pos.reshape(1, 256, dim)], dim=1)
    for i in range(TINY["depth"]):
        p = {k[len(f"blocks.{i}.") :]: v for k, v in state.items() if k.startswith(f"blocks.{i}.")}
        h = F.layer_norm(x, (dim,), p["norm1.weight"], p["norm1.bias"], eps=1e-6)
        q, k, v = (
            F.linear(h, p["attn.qkv.weight"], p["attn.qkv.bias"]).reshape(len(x), -1, 3, heads, dim // heads).unbind(2)
        )
        a = torch.softmax(q.transpose(1, 2) @ k.transpose(1, 2).mT / (dim // heads) ** 0.5, dim=-1) @ v.transpose(1, 2)
        x = x + p["ls1.gamma"] * F.linear(
            a.transpose(1, 2).reshape(x.shape), p["attn.proj.weight"], p["attn.proj.bias"]
        )
        h = F.layer_norm(x, (dim,), p["norm2.weight"], p["norm2.bias"], eps=1e-6)
        h = F.linear(
            F.gelu(F.linear(h, p["mlp.fc1.weight"], p["mlp.fc1.bias"])), p["mlp.fc2.weight"], p["mlp.fc2.bias"]
        )
        x = x + p["ls2.gamma"] * h
    return F.layer_norm(x, (dim,), state["norm.weight"], state["norm.bias"], eps=1e-6)[:, 0]


def _images(n, seed=0, size=(12, 10)):
    return torch.from_numpy(np.random.default_rng(seed).integers(0, 256, (n, 3, *size), dtype=np.uint8))


def test_features_are_dinov2s_final_cls_token_at_224_px(checkpoint):
    path, state = checkpoint
    ex = get_extractor("dinov2-vit-l-14", weights=path)
    assert ex.info.feature_dim == 32 and ex.info.input_size == 224 and ex.info.yields == {"features"}
    assert ex.info.resize == "bicubic-antialias-squash-224; imagenet-mean-std"
    assert (ex.info.mean, ex.info.std) == ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    images = _images(3)
    # dgm-eval's transform: PIL bicubic to 224 x 224, ToTensor, ImageNet normalisation (smooth images, as photographs)
    pil = [Image.fromarray(a.permute(1, 2, 0).numpy()).resize((40, 48), Image.Resampling.BILINEAR) for a in images]
    images = torch.from_numpy(np.stack([np.asarray(p) for p in pil])).permute(0, 3, 1, 2).contiguous()
    ref = np.stack([np.asarray(p.resize((224, 224), Image.Resampling.BICUBIC)) for p in pil]).astype(np.float32)
    ref = (torch.from_numpy(ref).permute(0, 3, 1, 2) / 255 - torch.tensor(dinov2.IMAGENET_MEAN).view(1, 3, 1, 1)) / (
        torch.tensor(dinov2.IMAGENET_STD).view(1, 3, 1, 1)
    )
    assert (ex.pixels(images) - ref).abs().max() < 3 / 255 / 0.224  # torchvision's and PIL's bicubic: a level or two
    with torch.no_grad():
        expected = _dinov2_forward(state, ex.pixels(images))
    assert torch.allclose(ex.images(images)["features"], expected, atol=1e-4)


@pytest.mark.filterwarnings("ignore:.*rank-deficient")
def test_fd_on_it_is_reported_as_fd_dinov2(checkpoint):
    ev = Evaluator(get_extractor("dinov2-vit-l-14", weights=checkpoint[0]), ["fd"], bootstrap=0)
    ev.update_reference(_images(4, seed=1))
    ev.update(_images(4, seed=2))
    assert list(ev.compute()) == ["fd_dinov2"]


def test_missing_weights_name_the_file_where_it_goes_and_its_source(tmp_path, monkeypatch):
    monkeypatch.setenv("XMBENCH_HOME", str(tmp_path))
    with pytest.raises(WeightsError) as e:
        get_extractor("dinov2-vit-l-14")
    msg = str(e.value)
    assert f"needs dinov2_vitl14_pretrain.pth: put it at {tmp_path}/weights/dinov2_vitl14_pretrain.pth" in msg
    assert dinov2.URL in msg and "--weights" in msg and "\n" not in msg


def test_a_file_of_another_network_is_one_line(tmp_path):
    other = tmp_path / "linear.pth"
    torch.save(torch.nn.Linear(3, 4).state_dict(), other)
    with pytest.raises(WeightsError, match=r"linear.pth does not fit DINOv2 ViT-L/14 \('cls_token' is missing"):
        get_extractor("dinov2-vit-l-14", weights=other)
