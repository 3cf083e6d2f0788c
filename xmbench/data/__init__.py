"""Suites: the registry of named datasets of (image, caption, attributes)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xmbench.data.base import Batch, Sample, Suite
from xmbench.errors import InputError, unknown_name
from xmbench.registry import SUITES

SuiteFactory = Callable[..., Suite]


def register_suite(name: str, factory: SuiteFactory, summary: str) -> None:
    """Register a suite factory `factory(**options) -> Suite` under `name` (same as SUITES.register)."""
    SUITES.register(name, factory, summary=summary)


def list_suites() -> dict[str, str]:
    """Suite name -> one-line summary. `folder:PATH` is always available too."""
    return SUITES.summaries()


def get_suite(name: str, **options: Any) -> Suite:
    """A suite by name: a registered name, or `folder:PATH` for a folder with captions.jsonl.

    options: suite-specific keywords, e.g. resolution=64.
    """
    try:
        if name.startswith("folder:"):
            from xmbench.data.folder import FolderSuite

            return _construct(FolderSuite, Path(name.split(":", 1)[1]), **options)
        if name not in SUITES:
            raise unknown_name("suite", name, [*SUITES.names(), "folder:PATH"])
        return _construct(SUITES.get(name), **options)
    except _UnknownOption as e:
        raise InputError(f"suite {name!r} {e}") from None


class _UnknownOption(InputError):
    """An option the suite's class does not take; get_suite names the suite."""


def _construct(cls: SuiteFactory, *args: Any, **options: Any) -> Suite:
    """cls(*args, **options), refusing options that cls does not take (unless it takes **options)."""
    parameters = inspect.signature(cls).parameters
    takes = [n for n, p in parameters.items() if p.kind is not p.VAR_KEYWORD][len(args) :]
    extra = sorted(set(options) - set(takes))
    if extra and not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        raise _UnknownOption(f"does not take option(s) {', '.join(extra)}; it takes: {', '.join(takes) or 'none'}")
    return cls(*args, **options)


# real suites read from a local folder (root=..., default $XMBENCH_HOME/data/<name>); nothing is downloaded
for _name, _target, _summary in [
    (
        "shapes",
        "xmbench.data.shapes:ShapesSuite",
        "procedural shapes with exact attributes (embedded default, offline)",
    ),
    (
        "cub",
        "xmbench.data.cub:CubSuite",
        "CUB-200-2011 birds, 10 Reed et al. captions per image, 150/50 class split (local folder)",
    ),
    (
        "oxford",
        "xmbench.data.oxford:OxfordSuite",
        "Oxford-102 flowers, 10 Reed et al. captions per image, 82/20 class split (local folder)",
    ),
    ("coco2014", "xmbench.data.coco:coco2014", "MS-COCO 2014 captions, train/val (local folder)"),
    ("coco2017", "xmbench.data.coco:coco2017", "MS-COCO 2017 captions, train/val (local folder)"),
    (
        "coco-karpathy",
        "xmbench.data.karpathy:KarpathyCocoSuite",
        "MS-COCO 2014, Karpathy captioning split 113,287/5,000/5,000, about 5 captions per image (local folder)",
    ),
]:
    SUITES.register(_name, lazy=_target, summary=_summary)

__all__ = ["Batch", "Sample", "Suite", "get_suite", "list_suites", "register_suite"]
