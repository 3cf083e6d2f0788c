"""CLIP-S and RefCLIP-S (Hessel et al. 2021), reference-free and reference-augmented caption scores.

From joint image–text embeddings (any scale; renormalised here), per image:

    CLIP-S    = w · max(cos(image, caption), 0),                         w = 2.5
    RefCLIP-S = H-Mean(CLIP-S, max(max_r cos(caption, reference_r), 0))

H-Mean(a, b) = 2ab / (a + b) (0 when both are 0). The weight w applies to the image term only, as in the
paper and its code. The scores are means over images. With CLIP ViT-B/32 (the paper's protocol) every
caption — candidate and reference — is embedded with the prefix "A photo depicts " (`with_prefix`);
other joint encoders (shapes-v1 on `shapes`) take captions as they are. The encoder is whatever
extractor fed the embeddings; results must name it. CLIP-S lies in [0, 2.5], RefCLIP-S in
[0, 2·2.5/3.5] ≈ [0, 1.43].
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from xmbench.deprecation import renamed
from xmbench.errors import InputError
from xmbench.metrics.captioning._streaming import PerImageMean
from xmbench.metrics.clip_score import per_image_clip_cos
from xmbench.metrics.inputs import check_count, check_features

VERSION = 1
W = 2.5
PREFIX = "A photo depicts"


def with_prefix(captions: Sequence[str]) -> list[str]:
    """Captions as CLIP-S embeds them with CLIP: "A photo depicts " + caption.

    Example:
        >>> with_prefix(["a dog on a couch"])
        ['A photo depicts a dog on a couch']
    """
    return [f"{PREFIX} {c}" for c in captions]


@renamed(caption_embed="text_embed")
def clip_s_per_image(image_embed: torch.Tensor, text_embed: torch.Tensor, metric: str = "CLIP-S") -> torch.Tensor:
    """CLIP-S of every image, float64 (N,) in [0, 2.5], from (N, E) image and caption embeddings; `metric`
    names the metric in errors.

    Example:
        >>> clip_s_per_image(torch.tensor([[1.0, 0.0], [1.0, 0.0]]), torch.tensor([[1.0, 1.0], [-1.0, 0.0]]))
        tensor([1.7678, 0.0000], dtype=torch.float64)
    """
    return W * per_image_clip_cos(image_embed, text_embed, metric)


@renamed(caption_embed="text_embed")
def clip_s(image_embed: torch.Tensor, text_embed: torch.Tensor) -> torch.Tensor:
    """Mean CLIP-S over images, float64 scalar in [0, 2.5].

    Example:
        >>> float(clip_s(torch.eye(3), torch.eye(3)))
        2.5
    """
    scores = clip_s_per_image(image_embed, text_embed)
    check_count(scores.shape[0], 1, "CLIP-S", "image")
    return scores.mean()


def _reference_index(refs_per_image: Sequence[int] | torch.Tensor, n_images: int, n_refs: int) -> torch.Tensor:
    counts = torch.as_tensor(refs_per_image, dtype=torch.int64).flatten()
    if counts.numel() != n_images or bool((counts < 1).any()) or int(counts.sum()) != n_refs:
        raise InputError(
            f"RefCLIP-S needs refs_per_image: {n_images} counts >= 1 summing to the {n_refs} reference "
            f"embeddings (references of image 0 first, then image 1, ...)"
        )
    return torch.repeat_interleave(torch.arange(n_images), counts)


def reference_similarity_per_image(
    text_embed: torch.Tensor, reference_embed: torch.Tensor, refs_per_image: Sequence[int] | torch.Tensor
) -> torch.Tensor:
    """max(max_r cos(caption, reference_r), 0) per image, float64 (N,) in [0, 1].

    Args:
        text_embed: (N, E) embeddings of the generated captions.
        reference_embed: (sum K_i, E) embeddings of the references, image by image.
        refs_per_image: the number K_i of references of each image (N,).

    Example:
        >>> refs = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
        >>> reference_similarity_per_image(torch.tensor([[1.0, 0.0], [1.0, 0.0]]), refs, [2, 1])
        tensor([1., 0.], dtype=torch.float64)
    """
    check_features(text_embed, "RefCLIP-S", "caption embeddings")
    check_features(reference_embed, "RefCLIP-S", "reference embeddings")
    if text_embed.shape[1] != reference_embed.shape[1]:
        raise InputError(
            f"RefCLIP-S needs caption (N,E) and reference (sum K,E) embeddings of one width, got "
            f"{tuple(text_embed.shape)} and {tuple(reference_embed.shape)}"
        )
    index = _reference_index(refs_per_image, text_embed.shape[0], reference_embed.shape[0])
    c = torch.nn.functional.normalize(text_embed.double(), dim=1)
    r = torch.nn.functional.normalize(reference_embed.double(), dim=1)
    cos = (c[index] * r).sum(1)
    best = torch.full((c.shape[0],), -1.0, dtype=torch.float64).scatter_reduce(0, index, cos, reduce="amax")
    return best.clamp_min(0)


@renamed(caption_embed="text_embed")
def refclip_s_per_image(
    image_embed: torch.Tensor,
    text_embed: torch.Tensor,
    reference_embed: torch.Tensor,
    refs_per_image: Sequence[int] | torch.Tensor,
) -> torch.Tensor:
    """RefCLIP-S of every image, float64 (N,): harmonic mean of CLIP-S and the best reference cosine.

    Args:
        image_embed: (N, E) image embeddings.
        text_embed: (N, E) embeddings of the generated captions.
        reference_embed: (sum K_i, E) embeddings of the references, image by image.
        refs_per_image: the number K_i of references of each image (N,).

    Example:
        >>> image, caption = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0]])
        >>> refclip_s_per_image(image, caption, torch.tensor([[1.0, 0.0]]), [1])  # H-Mean(2.5, 1) = 5/3.5
        tensor([1.4286], dtype=torch.float64)
    """
    a = clip_s_per_image(image_embed, text_embed, "RefCLIP-S")
    b = reference_similarity_per_image(text_embed, reference_embed, refs_per_image)
    total = a + b
    return torch.where(total > 0, 2 * a * b / torch.where(total > 0, total, 1.0), torch.zeros_like(total))


@renamed(caption_embed="text_embed")
def refclip_s(
    image_embed: torch.Tensor,
    text_embed: torch.Tensor,
    reference_embed: torch.Tensor,
    refs_per_image: Sequence[int] | torch.Tensor,
) -> torch.Tensor:
    """Mean RefCLIP-S over images, float64 scalar.

    Example:
        >>> e = torch.eye(2)
        >>> round(float(refclip_s(e, e, e, [1, 1])), 4)
        1.4286
    """
    scores = refclip_s_per_image(image_embed, text_embed, reference_embed, refs_per_image)
    check_count(scores.shape[0], 1, "RefCLIP-S", "image")
    return scores.mean()


class CLIPS(PerImageMean):
    """Streaming CLIP-S: update(image_embed, text_embed); compute() -> mean over images (float64).

    Example:
        >>> m = CLIPS()
        >>> m.update(torch.eye(2), torch.eye(2))
        >>> float(m.compute())
        2.5
    """

    metric_name = "CLIP-S"

    def scores(self, image_embed: torch.Tensor, text_embed: torch.Tensor) -> torch.Tensor:
        return clip_s_per_image(image_embed.detach(), text_embed.detach())


class RefCLIPS(PerImageMean):
    """Streaming RefCLIP-S: update(image_embed, text_embed, reference_embed, refs_per_image); compute() -> mean.

    Example:
        >>> m = RefCLIPS()
        >>> m.update(torch.eye(2), torch.eye(2), torch.eye(2), [1, 1])
        >>> round(float(m.compute()), 4)
        1.4286
    """

    metric_name = "RefCLIP-S"

    def scores(
        self,
        image_embed: torch.Tensor,
        text_embed: torch.Tensor,
        reference_embed: torch.Tensor,
        refs_per_image: Sequence[int] | torch.Tensor,
    ) -> torch.Tensor:
        return refclip_s_per_image(image_embed.detach(), text_embed.detach(), reference_embed.detach(), refs_per_image)
