"""The standard extractors' weights: canonical release URLs, pinned sha256, fetched at first use.

A weights file lives at $XMBENCH_HOME/weights/<file name>. When it is absent, xmbench downloads it
from its canonical release (the address the peer library itself downloads from) and verifies the
pinned sha256, unless XMBENCH_OFFLINE or HF_HUB_OFFLINE is set to 1/true/yes/on; offline, the error
names the URL and the destination. XMBENCH_WEIGHTS_MIRROR=URL fetches `URL/<file name>` instead
(a local mirror; the hash is checked all the same).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xmbench.errors import WeightsError, unknown_name
from xmbench.home import xmbench_home

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class StandardWeights:
    """One downloadable weights file: `name` is the extractor id it serves."""

    name: str
    file_name: str
    url: str
    sha256: str
    size: int | None  # bytes, when known; informational
    source: str  # one line: whose release this is

    @property
    def path(self) -> Path:
        """Where the file goes: $XMBENCH_HOME/weights/<file_name>."""
        return xmbench_home() / "weights" / self.file_name

    def download_url(self) -> str:
        """The canonical URL, or <XMBENCH_WEIGHTS_MIRROR>/<file_name> when a mirror is set."""
        mirror = os.environ.get("XMBENCH_WEIGHTS_MIRROR", "").strip()
        return f"{mirror.rstrip('/')}/{self.file_name}" if mirror else self.url


CATALOGUE: dict[str, StandardWeights] = {
    w.name: w
    for w in (
        StandardWeights(
            name="inception-v3-fid",
            file_name="weights-inception-2015-12-05-6726825d.pth",
            url="https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
            "weights-inception-2015-12-05-6726825d.pth",
            sha256="6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2",
            size=None,
            source="torch-fidelity's release of the TF 2015-12-05 Inception graph (torch-fidelity's URL_INCEPTION_V3)",
        ),
        StandardWeights(
            name="clip-vit-b-32",
            file_name="open_clip_vit_b_32_openai.safetensors",
            url="https://huggingface.co/timm/vit_base_patch32_clip_224.openai/resolve/"
            "a6f597a30f7b82c51704746581f9a4e41421e878/open_clip_model.safetensors",
            sha256="e6d1bd7789aa45192b3bf90570a789b478bae1b74ebcce7eddd908e83a2b7c31",
            size=605_143_284,
            source="OpenAI's CLIP ViT-B/32 as open_clip loads it ('openai' tag: the Hugging Face repo "
            "timm/vit_base_patch32_clip_224.openai, open_clip_model.safetensors at a pinned revision)",
        ),
    )
}


def offline() -> bool:
    """True when XMBENCH_OFFLINE or HF_HUB_OFFLINE is set to 1, true, yes or on (any case)."""
    return any(os.environ.get(k, "").strip().lower() in _TRUE for k in ("XMBENCH_OFFLINE", "HF_HUB_OFFLINE"))


def standard_weights(name: str) -> StandardWeights:
    """The catalogue entry `name` (an extractor id). Raises InputError naming the known ones."""
    if name not in CATALOGUE:
        raise unknown_name("standard weights", name, CATALOGUE)
    return CATALOGUE[name]


def fetch(name: str, *, log: Callable[[str], None] | None = None) -> Path:
    """The local path of the weights `name`, downloading and verifying them first if absent.

    log: called with a line when a download starts and ends (None: print to stderr).
    Raises WeightsError when offline (naming the URL and the destination) or when the download fails.

    Example:
        >>> import os, tempfile
        >>> os.environ["XMBENCH_HOME"], os.environ["XMBENCH_OFFLINE"] = tempfile.mkdtemp(), "1"
        >>> try:
        ...     fetch("clip-vit-b-32")
        ... except WeightsError as e:
        ...     print(str(e).split(":")[0])
        extractor 'clip-vit-b-32' needs open_clip_vit_b_32_openai.safetensors
        >>> del os.environ["XMBENCH_HOME"], os.environ["XMBENCH_OFFLINE"]
    """
    from xmbench.extractors.download import fetch_file, print_line

    weights = standard_weights(name)
    if weights.path.is_file():
        return weights.path
    if weights.path.exists():
        raise WeightsError(f"{weights.path} is not a regular file; remove it so that {name}'s weights can go there")
    url = weights.download_url()
    if offline():
        raise WeightsError(
            f"extractor {name!r} needs {weights.file_name}: put it at {weights.path} (or pass --weights PATH); it "
            f"comes from {url} (sha256 {weights.sha256}); not fetched: XMBENCH_OFFLINE or HF_HUB_OFFLINE is set"
        )
    return fetch_file(url, weights.path, weights.sha256, log=print_line if log is None else log)
