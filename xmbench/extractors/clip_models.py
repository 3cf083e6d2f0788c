"""Which open_clip model a CLIP extractor id names, and what preprocessing and weights file it takes.

`clip:ARCH/PRETRAINED` names any model open_clip knows (`open_clip.list_pretrained()`), e.g.
`clip:ViT-L-14/openai` or `clip:ViT-B-32/laion2b_s34b_b79k`. Preprocessing (mean/std, interpolation,
resize mode) and the QuickGELU switch come from open_clip's table for that tag, so a model is run as
open_clip runs it. `clip:ViT-B-32/openai` is the same extractor as `clip-vit-b-32` and keeps that id
(and its weights file), so results recorded under `clip-vit-b-32` stay comparable.

Example:
    >>> m = clip_model("ViT-L-14-336/openai")
    >>> m.extractor_id, m.file_name, m.quick_gelu
    ('clip:ViT-L-14-336/openai', 'open_clip_vit-l-14-336_openai.safetensors', True)
    >>> clip_model("ViT-B-32/openai").extractor_id
    'clip-vit-b-32'
"""

from __future__ import annotations

from dataclasses import dataclass

import open_clip
from open_clip.pretrained import get_pretrained_cfg

from xmbench.errors import InputError, unknown_name
from xmbench.extractors.standard_weights import CATALOGUE

#: the id kept for open_clip's ViT-B-32 with OpenAI's weights (results recorded before `clip:` ids existed)
LEGACY_ID = "clip-vit-b-32"
LEGACY_SPEC = "ViT-B-32/openai"
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
#: open_clip resize modes this extractor reproduces ("longest", letterboxing, is not)
RESIZE_MODES = ("shortest", "squash")


@dataclass(frozen=True)
class ClipModel:
    """One open_clip architecture with one pretrained tag, as open_clip's tables describe it."""

    arch: str
    pretrained: str
    quick_gelu: bool
    mean: tuple[float, ...]
    std: tuple[float, ...]
    interpolation: str  # "bicubic" or "bilinear"
    resize_mode: str  # one of RESIZE_MODES
    hf_hub: str  # Hugging Face repo open_clip downloads from ("" when only a URL is known)
    url: str

    @property
    def spec(self) -> str:
        return f"{self.arch}/{self.pretrained}"

    @property
    def extractor_id(self) -> str:
        return LEGACY_ID if self.spec == LEGACY_SPEC else f"clip:{self.spec}"

    @property
    def file_name(self) -> str:
        """Its file under $XMBENCH_HOME/weights."""
        if self.extractor_id in CATALOGUE:
            return CATALOGUE[self.extractor_id].file_name
        return f"open_clip_{self.arch.lower()}_{self.pretrained.lower()}.safetensors"

    @property
    def source(self) -> str:
        """Where the file comes from (one line, for errors and docs)."""
        if self.extractor_id in CATALOGUE:
            return f"{CATALOGUE[self.extractor_id].source}: {CATALOGUE[self.extractor_id].url}"
        where = (
            f"open_clip_model.safetensors of the Hugging Face repo {self.hf_hub} (https://huggingface.co/{self.hf_hub})"
            if self.hf_hub
            else self.url
        )
        return f"open_clip's {self.pretrained!r} weights of {self.arch}: {where}; no sha256 is pinned in xmbench"

    @property
    def tag(self) -> str:
        """What ExtractorInfo.model records."""
        return f"open_clip {self.spec}"


def clip_model(spec: str) -> ClipModel:
    """The open_clip model `spec` = "ARCH/PRETRAINED" names; InputError naming close names otherwise.

    Example:
        >>> clip_model("ViT-B-32/laion2b")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: unknown open_clip pretrained tag of ViT-B-32 'laion2b'; did you mean ...
    """
    arch, _, pretrained = spec.partition("/")
    if not arch or not pretrained:
        raise InputError(f"CLIP extractor ids are clip:ARCH/PRETRAINED (e.g. clip:ViT-L-14/openai), got clip:{spec}")
    if arch not in open_clip.list_models():
        raise unknown_name("open_clip architecture", arch, open_clip.list_models())
    tags = {_clean(t): t for t in open_clip.list_pretrained_tags_by_model(arch)}
    if _clean(pretrained) not in tags:
        raise unknown_name(f"open_clip pretrained tag of {arch}", pretrained, list(tags.values()))
    pretrained = tags[_clean(pretrained)]  # open_clip's spelling: one id per model
    cfg = get_pretrained_cfg(arch, pretrained)
    resize_mode = cfg.get("resize_mode", "shortest")
    if resize_mode not in RESIZE_MODES:
        raise InputError(f"clip:{spec}: open_clip resize mode {resize_mode!r} is not supported (only {RESIZE_MODES})")
    return ClipModel(
        arch=arch,
        pretrained=pretrained,
        quick_gelu=bool(cfg.get("quick_gelu", False)),
        mean=tuple(cfg.get("mean", OPENAI_MEAN)),
        std=tuple(cfg.get("std", OPENAI_STD)),
        interpolation=cfg.get("interpolation", "bicubic"),
        resize_mode=resize_mode,
        hf_hub=cfg.get("hf_hub", "").strip("/"),
        url=cfg.get("url", ""),
    )


def _clean(tag: str) -> str:
    """A pretrained tag as open_clip matches it (case and "-"/"_" do not matter)."""
    return tag.lower().replace("-", "_")


def weight_signature(arch: str) -> dict[str, tuple[int, ...]]:
    """Tensors whose shapes tell `arch` apart, checked before the (slow) model construction; empty for
    towers built by timm or Hugging Face (their names differ).

    Example:
        >>> weight_signature("ViT-B-32")["visual.conv1.weight"]
        (768, 3, 32, 32)
    """
    cfg = open_clip.get_model_config(arch) or {}
    vision, text, dim = cfg.get("vision_cfg", {}), cfg.get("text_cfg", {}), cfg.get("embed_dim")
    if "timm_model_name" in vision or "patch_size" not in vision or dim is None:
        return {}
    width, patch = vision["width"], vision["patch_size"]
    signature = {
        "visual.class_embedding": (width,),
        "visual.conv1.weight": (width, 3, patch, patch),
        "visual.proj": (width, dim),
    }
    if "hf_model_name" not in text and "width" in text:
        signature["text_projection"] = (text["width"], dim)
    return signature
