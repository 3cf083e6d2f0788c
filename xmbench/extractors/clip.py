"""CLIP extractors: any open_clip model, `clip:ARCH/PRETRAINED`; `clip-vit-b-32` is `clip:ViT-B-32/openai`.

Image preprocessing follows open_clip's table for the model and tag (xmbench.extractors.clip_models):
shortest side to the input size then centre crop (or a squash to the square for "squash" models), the
tag's interpolation and mean/std, done on uint8 tensors with torchvision's antialiased resize instead of
PIL's (embeddings agree with open_clip's PIL pipeline to cosine > 0.999; tested). Text goes through
open_clip's tokenizer for the architecture (truncated to its context). Both embeddings are L2-normalised.
Weights: `weights=PATH`, else $XMBENCH_HOME/weights/<file name>; `clip-vit-b-32`'s file is fetched and
verified at first use, other models' files are the user's to place (the error names file, place, source).
"""

from __future__ import annotations

import os
import pickle

import open_clip
import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from xmbench.errors import InputError
from xmbench.extractors.base import Extractor, ExtractorInfo
from xmbench.extractors.clip_models import LEGACY_SPEC, OPENAI_MEAN, OPENAI_STD, ClipModel, clip_model, weight_signature
from xmbench.extractors.local_weights import (
    UNREADABLE,
    check_signature,
    fit_error,
    resolve_weights,
    state_shapes,
    unreadable_error,
)
from xmbench.filehash import sha256_file
from xmbench.images import check_images


def resize_label(model: ClipModel, size: int) -> str:
    """ExtractorInfo.resize of `model` at `size` pixels (clip-vit-b-32's label is unchanged by `clip:` ids).

    Example:
        >>> resize_label(clip_model("ViT-B-32/openai"), 224)
        'bicubic-antialias-shortest-224+centre-crop; openai-mean-std'
    """
    geometry = f"shortest-{size}+centre-crop" if model.resize_mode == "shortest" else f"squash-{size}"
    same = model.mean == OPENAI_MEAN and model.std == OPENAI_STD
    norm = "openai-mean-std" if same else f"mean={list(model.mean)} std={list(model.std)}"
    return f"{model.interpolation}-antialias-{geometry}; {norm}"


def load_model(model: ClipModel, weights: str | os.PathLike | None) -> tuple[torch.nn.Module, str]:
    """open_clip's network for `model` holding the weights file (checked before construction); and its sha256."""
    name, architecture = model.extractor_id, f"open_clip {model.arch}"
    path = resolve_weights(weights, extractor=name, file_name=model.file_name, source=model.source)
    check_signature(state_shapes(path, name), weight_signature(model.arch), path, name, architecture)
    try:  # an absolute path can never be mistaken for one of open_clip's download tags
        network = open_clip.create_model(
            model.arch,
            pretrained=str(path.resolve()),
            weights_only=True,
            require_pretrained=True,
            force_quick_gelu=model.quick_gelu,
        )
    except (pickle.UnpicklingError, EOFError, *UNREADABLE) as e:
        if isinstance(e, RuntimeError) and "state_dict" in str(e):
            raise fit_error(e, path, name, architecture) from None
        raise unreadable_error(e, path, name) from None
    return network, sha256_file(path)


class ClipExtractor(Extractor):
    """An open_clip model. images(): uint8 (N,3,H,W), any size -> {"features": float32 (N,E) image
    embedding, "image_embed": the same L2-normalised}; text(captions) -> float32 (N,E) L2-normalised.

    weights: a state dict (.safetensors, or a torch file of tensors only); None: $XMBENCH_HOME/weights/<file>.
    model: "ARCH/PRETRAINED" as open_clip names it (default: ViT-B/32 with OpenAI's weights, `clip-vit-b-32`).
    """

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        device: str | torch.device = "cpu",
        *,
        model: str = LEGACY_SPEC,
    ) -> None:
        spec = clip_model(model)
        network, weights_hash = load_model(spec, weights)
        self._spec = spec
        self._device = torch.device(device)
        self._model = network.to(self._device).eval().requires_grad_(False)
        self._tokenizer = open_clip.get_tokenizer(spec.arch)
        self.size = int(open_clip.get_model_preprocess_cfg(network)["size"][0])
        self._mean = torch.tensor(spec.mean, device=self._device).view(1, 3, 1, 1)
        self._std = torch.tensor(spec.std, device=self._device).view(1, 3, 1, 1)
        self.info = ExtractorInfo(
            id=spec.extractor_id,
            weights_hash=weights_hash,
            input_size=self.size,
            resize=resize_label(spec, self.size),
            feature_dim=int(open_clip.get_model_config(spec.arch)["embed_dim"]),
            yields=frozenset({"features", "image_embed", "text"}),
            model=spec.tag,
            mean=spec.mean,
            std=spec.std,
        )

    @property
    def device(self) -> torch.device:
        return self._device

    def pixels(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (N,3,H,W) -> normalised float32 (N,3,S,S), the network's input."""
        images = check_images(images, name=f"{self.info.id} input").to(self._device)
        mode = InterpolationMode.BICUBIC if self._spec.interpolation == "bicubic" else InterpolationMode.BILINEAR
        if self._spec.resize_mode == "squash":
            images = TF.resize(images, [self.size, self.size], interpolation=mode, antialias=True)
        else:
            images = TF.resize(images, [self.size], interpolation=mode, antialias=True)
            images = TF.center_crop(images, [self.size, self.size])
        return (images.float() / 255.0 - self._mean) / self._std

    @torch.no_grad()
    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self._model.encode_image(self.pixels(images)).float()
        return {"features": features, "image_embed": F.normalize(features, dim=-1)}

    @torch.no_grad()
    def text(self, captions: list[str]) -> torch.Tensor:
        if not isinstance(captions, list) or not all(isinstance(c, str) for c in captions):
            raise InputError(f"{self.info.id}: captions must be a list of strings")
        tokens = self._tokenizer(captions).to(self._device)
        return F.normalize(self._model.encode_text(tokens).float(), dim=-1)


def open_clip_extractor(
    model: str, weights: str | os.PathLike | None = None, device: str | torch.device = "cpu"
) -> ClipExtractor:
    """The `clip:ARCH/PRETRAINED` extractor family: `get_extractor("clip:ViT-L-14/openai", weights=...)`
    calls `open_clip_extractor("ViT-L-14/openai", weights=...)`."""
    return ClipExtractor(weights, device, model=model)
