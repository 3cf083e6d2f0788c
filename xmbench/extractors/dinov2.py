"""`dinov2-vit-l-14`: DINOv2 ViT-L/14 (Oquab et al. 2023) as Stein et al. 2023 (dgm-eval) use it for FD.

Protocol (dgm-eval's `DINOv2Encoder`): every image resized to 224 × 224 (bicubic; a squash, no crop),
scaled to [0, 1], ImageNet mean / std; the feature is the CLS token of the final layer after the final
LayerNorm (DINOv2's `x_norm_clstoken`, 1024-d). FD on it is reported as `fd_dinov2`.

The network is timm's `VisionTransformer` (patch 14, width 1024, depth 24, 16 heads, LayerScale), which
has the parameter names of Meta's checkpoint `dinov2_vitl14_pretrain.pth`. That checkpoint's position
embedding is for 518 px (37 × 37 patches); DINOv2 interpolates it at every forward pass (bicubic,
scale factor (16 + 0.1) / 37, no antialiasing). Inputs here are always 224 px, so it is interpolated the
same way once, at load time. The mask token (training only) is dropped.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer
from torchvision.transforms.v2 import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from xmbench.extractors.base import Extractor, ExtractorInfo
from xmbench.extractors.local_weights import check_signature, fit_error, load_state_dict, resolve_weights, state_shapes
from xmbench.filehash import sha256_file
from xmbench.images import check_images

EXTRACTOR_ID = "dinov2-vit-l-14"
FILE_NAME = "dinov2_vitl14_pretrain.pth"
#: Meta's release, the file torch.hub's `dinov2_vitl14` loads; no sha256 is pinned in xmbench yet
URL = "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth"
SOURCE = f"Meta's DINOv2 release {URL} (verify its sha256 yourself: xmbench pins none yet)"
ARCHITECTURE = "DINOv2 ViT-L/14"
#: the network's shape: ViT-L/14
NETWORK = {"embed_dim": 1024, "depth": 24, "num_heads": 16}
PATCH = 14
INPUT_SIZE = 224
#: patches per side the checkpoint's position embedding was trained at (518 px)
CHECKPOINT_GRID = 37
#: DINOv2's offset added to the target grid before computing the interpolation's scale factor
INTERPOLATE_OFFSET = 0.1
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def signature() -> dict[str, tuple[int, ...]]:
    """Tensors whose shapes tell the checkpoint apart, checked before building the network.

    Example:
        >>> signature()["pos_embed"]
        (1, 1370, 1024)
    """
    width, depth = NETWORK["embed_dim"], NETWORK["depth"]
    return {
        "cls_token": (1, 1, width),
        "pos_embed": (1, CHECKPOINT_GRID**2 + 1, width),
        "patch_embed.proj.weight": (width, 3, PATCH, PATCH),
        f"blocks.{depth - 1}.ls2.gamma": (width,),
    }


def resample_pos_embed(pos_embed: torch.Tensor, grid: int) -> torch.Tensor:
    """DINOv2's interpolation of a (1, 1 + G², D) position embedding to a `grid` × `grid` patch grid.

    Example:
        >>> resample_pos_embed(torch.zeros(1, 1 + 37 * 37, 8), 16).shape
        torch.Size([1, 257, 8])
    """
    cls, patches = pos_embed[:, :1], pos_embed[:, 1:].float()
    side, dim = int(round(patches.shape[1] ** 0.5)), patches.shape[2]
    scale = (grid + INTERPOLATE_OFFSET) / side
    image = patches.reshape(1, side, side, dim).permute(0, 3, 1, 2)
    image = F.interpolate(image, scale_factor=(scale, scale), mode="bicubic")
    return torch.cat([cls, image.permute(0, 2, 3, 1).reshape(1, grid * grid, dim).to(pos_embed.dtype)], dim=1)


def build_network(state: dict[str, torch.Tensor], path: os.PathLike, extractor: str) -> VisionTransformer:
    """timm's ViT holding Meta's DINOv2 state dict at 224 px, eval mode, frozen; output: the normed CLS token."""
    state = {k: v for k, v in state.items() if k != "mask_token"}
    state["pos_embed"] = resample_pos_embed(state["pos_embed"], INPUT_SIZE // PATCH)
    net = VisionTransformer(
        img_size=INPUT_SIZE, patch_size=PATCH, mlp_ratio=4, init_values=1.0, num_classes=0, **NETWORK
    )
    try:
        net.load_state_dict(state)
    except RuntimeError as e:
        raise fit_error(e, path, extractor, ARCHITECTURE) from None
    return net.eval().requires_grad_(False)


class DINOv2Extractor(Extractor):
    """DINOv2 ViT-L/14. images(): uint8 (N,3,H,W), any size -> {"features": float32 (N,1024) final CLS token}.

    weights: Meta's checkpoint (a torch file of tensors, or .safetensors); None: $XMBENCH_HOME/weights/FILE_NAME.
    """

    def __init__(self, weights: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> None:
        path = resolve_weights(weights, extractor=EXTRACTOR_ID, file_name=FILE_NAME, source=SOURCE)
        check_signature(state_shapes(path, EXTRACTOR_ID), signature(), path, EXTRACTOR_ID, ARCHITECTURE)
        self._device = torch.device(device)
        self._net = build_network(load_state_dict(path, EXTRACTOR_ID), path, EXTRACTOR_ID).to(self._device)
        self._mean = torch.tensor(IMAGENET_MEAN, device=self._device).view(1, 3, 1, 1)
        self._std = torch.tensor(IMAGENET_STD, device=self._device).view(1, 3, 1, 1)
        self.info = ExtractorInfo(
            id=EXTRACTOR_ID,
            weights_hash=sha256_file(path),
            input_size=INPUT_SIZE,
            resize=f"bicubic-antialias-squash-{INPUT_SIZE}; imagenet-mean-std",
            feature_dim=NETWORK["embed_dim"],
            yields=frozenset({"features"}),
            model="DINOv2 ViT-L/14 (dinov2_vitl14_pretrain), final-layer CLS token after LayerNorm",
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
        )

    @property
    def device(self) -> torch.device:
        return self._device

    def pixels(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (N,3,H,W) -> normalised float32 (N,3,224,224), the network's input."""
        images = check_images(images, name=f"{EXTRACTOR_ID} input").to(self._device)
        size = [INPUT_SIZE, INPUT_SIZE]
        images = TF.resize(images, size, interpolation=InterpolationMode.BICUBIC, antialias=True)
        return (images.float() / 255.0 - self._mean) / self._std

    @torch.no_grad()
    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"features": self._net(self.pixels(images)).float()}
