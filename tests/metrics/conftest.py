"""A deterministic toy extractor (fixed random projections) implementing the Extractor contract."""

import hashlib

import pytest
import torch

from xmbench.extractors.base import Extractor, ExtractorInfo


class ToyExtractor(Extractor):
    """Features = fixed random projection of pixels in [0,1]; logits and joint embeddings from them.

    Text embedding of a caption: a fixed random projection of its character-trigram hash counts,
    so equal captions embed equally. Counts calls to images() and text().
    """

    def __init__(self, size: int = 8, dim: int = 16, classes: int = 10, embed: int = 8, ident: str = "toy-v1"):
        g = torch.Generator().manual_seed(1234)
        self.w = torch.randn(3 * size * size, dim, generator=g, dtype=torch.float64) / (3 * size * size) ** 0.5
        self.w_logits = torch.randn(dim, classes, generator=g, dtype=torch.float64)
        self.w_embed = torch.randn(dim, embed, generator=g, dtype=torch.float64)
        self.w_text = torch.randn(512, embed, generator=g, dtype=torch.float64)
        self.info = ExtractorInfo(
            id=ident,
            weights_hash="ab" * 32,
            input_size=size,
            resize="none",
            feature_dim=dim,
            yields=frozenset({"features", "logits", "image_embed", "text"}),
        )
        self.image_calls = 0
        self.text_calls = 0

    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        self.image_calls += 1
        x = images.double().flatten(1) / 255.0
        feats = x @ self.w
        return {
            "features": feats.float(),
            "logits": (feats @ self.w_logits).float(),
            "image_embed": torch.nn.functional.normalize(feats @ self.w_embed, dim=1).float(),
        }

    def text(self, captions: list[str]) -> torch.Tensor:
        self.text_calls += 1
        counts = torch.zeros(len(captions), 512, dtype=torch.float64)
        for i, c in enumerate(captions):
            for j in range(len(c) - 2):
                counts[i, hashlib.sha256(c[j : j + 3].encode()).digest()[0] * 2 % 512] += 1
        return torch.nn.functional.normalize(counts @ self.w_text, dim=1).float()


@pytest.fixture(autouse=True)
def _one_thread():
    """Small float64 ops are far slower multi-threaded on the shared 2-core machine; restore afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def toy():
    return ToyExtractor()


def random_images(n: int, seed: int, size: int = 8) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, size, size), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)
