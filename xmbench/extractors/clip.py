"""`clip-vit-b-32`: open_clip's ViT-B/32 with OpenAI's weights (fetched and verified at first use).

Image preprocessing follows the model's own open_clip config (shortest side to 224 with bicubic,
centre crop 224, OpenAI mean/std), done on uint8 tensors with torchvision's antialiased bicubic
instead of PIL's (embeddings agree with open_clip's PIL pipeline to cosine > 0.999; tested).
Text goes through open_clip's tokenizer (context 77, truncated). Both embeddings are L2-normalised.
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
from xmbench.extractors.local_weights import (
    UNREADABLE,
    check_signature,
    fit_error,
    resolve_weights,
    state_shapes,
    unreadable_error,
)
from xmbench.extractors.standard_weights import CATALOGUE
from xmbench.filehash import sha256_file
from xmbench.images import check_images

EXTRACTOR_ID = "clip-vit-b-32"
MODEL = "ViT-B-32-quickgelu"  # open_clip's ViT-B-32 with QuickGELU, the activation OpenAI's weights were trained with
FILE_NAME = CATALOGUE[EXTRACTOR_ID].file_name
SOURCE = f"{CATALOGUE[EXTRACTOR_ID].source}: {CATALOGUE[EXTRACTOR_ID].url}"
EMBED_DIM = 512
ARCHITECTURE = "open_clip ViT-B-32"
#: tensors whose shapes tell ViT-B/32 CLIP apart, checked before the (slow) model construction
SIGNATURE = {
    "visual.class_embedding": (768,),
    "visual.conv1.weight": (768, 3, 32, 32),
    "text_projection": (512, EMBED_DIM),
    "visual.proj": (768, EMBED_DIM),
}


class ClipExtractor(Extractor):
    """open_clip ViT-B/32 (OpenAI weights). images(): uint8 (N,3,H,W), any size ->
    {"features": float32 (N,512) image embedding, "image_embed": the same L2-normalised};
    text(captions) -> float32 (N,512) L2-normalised.

    weights: a state dict (.safetensors, or a torch file of tensors only); None: $XMBENCH_HOME/weights/FILE_NAME.
    """

    def __init__(self, weights: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> None:
        path = resolve_weights(weights, extractor=EXTRACTOR_ID, file_name=FILE_NAME, source=SOURCE)
        check_signature(state_shapes(path, EXTRACTOR_ID), SIGNATURE, path, EXTRACTOR_ID, ARCHITECTURE)
        try:  # an absolute path can never be mistaken for one of open_clip's download tags
            model = open_clip.create_model(
                MODEL, pretrained=str(path.resolve()), weights_only=True, require_pretrained=True
            )
        except (pickle.UnpicklingError, EOFError, *UNREADABLE) as e:
            if isinstance(e, RuntimeError) and "state_dict" in str(e):
                raise fit_error(e, path, EXTRACTOR_ID, ARCHITECTURE) from None
            raise unreadable_error(e, path, EXTRACTOR_ID) from None
        self._device = torch.device(device)
        self._model = model.to(self._device).eval().requires_grad_(False)
        self._tokenizer = open_clip.get_tokenizer(MODEL)
        cfg = open_clip.get_model_preprocess_cfg(model)
        self.size = int(cfg["size"][0])
        self.preprocess = {
            "size": self.size,
            "resize": "shortest side, bicubic, antialias (torchvision)",
            "crop": "centre",
            "mean": list(cfg["mean"]),
            "std": list(cfg["std"]),
        }
        self._mean = torch.tensor(cfg["mean"], device=self._device).view(1, 3, 1, 1)
        self._std = torch.tensor(cfg["std"], device=self._device).view(1, 3, 1, 1)
        self.info = ExtractorInfo(
            id=EXTRACTOR_ID,
            weights_hash=sha256_file(path),
            input_size=self.size,
            resize=f"bicubic-antialias-shortest-{self.size}+centre-crop; openai-mean-std",
            feature_dim=EMBED_DIM,
            yields=frozenset({"features", "image_embed", "text"}),
        )

    @property
    def device(self) -> torch.device:
        return self._device

    def pixels(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (N,3,H,W) -> normalised float32 (N,3,224,224), the network's input."""
        images = check_images(images, name=f"{EXTRACTOR_ID} input").to(self._device)
        images = TF.resize(images, [self.size], interpolation=InterpolationMode.BICUBIC, antialias=True)
        images = TF.center_crop(images, [self.size, self.size])
        return (images.float() / 255.0 - self._mean) / self._std

    @torch.no_grad()
    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self._model.encode_image(self.pixels(images)).float()
        return {"features": features, "image_embed": F.normalize(features, dim=-1)}

    @torch.no_grad()
    def text(self, captions: list[str]) -> torch.Tensor:
        if not isinstance(captions, list) or not all(isinstance(c, str) for c in captions):
            raise InputError(f"{EXTRACTOR_ID}: captions must be a list of strings")
        tokens = self._tokenizer(captions).to(self._device)
        return F.normalize(self._model.encode_text(tokens).float(), dim=-1)
