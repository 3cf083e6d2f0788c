"""Suites: the registry of named datasets of (image, caption, attributes)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xmbench.data.base import Batch, Sample, Suite
from xmbench.errors import InputError, unknown_name

SuiteFactory = Callable[..., Suite]


_REGISTRY: dict[str, tuple[SuiteFactory, str]] = {}


def register_suite(name: str, factory: SuiteFactory, summary: str) -> None:
    """Register a suite factory under `name` (plugins call this)."""
    _REGISTRY[name] = (factory, summary)


def list_suites() -> dict[str, str]:
    """Suite name -> one-line summary. `folder:PATH` is always available too."""
    return {name: summary for name, (_, summary) in _REGISTRY.items()}


def get_suite(name: str, **options: Any) -> Suite:
    """A suite by name: a registered name, or `folder:PATH` for a folder with captions.jsonl.

    options: suite-specific keywords, e.g. resolution=64.
    """
    try:
        if name.startswith("folder:"):
            from xmbench.data.folder import FolderSuite

            return _construct(FolderSuite, Path(name.split(":", 1)[1]), **options)
        if name not in _REGISTRY:
            raise unknown_name("suite", name, [*_REGISTRY, "folder:PATH"])
        return _REGISTRY[name][0](**options)
    except _UnknownOption as e:
        raise InputError(f"suite {name!r} {e}") from None


class _UnknownOption(InputError):
    """An option the suite's class does not take; get_suite names the suite."""


def _construct(cls: type[Suite], *args: Any, **options: Any) -> Suite:
    """cls(*args, **options), refusing options that cls does not take."""
    takes = list(inspect.signature(cls).parameters)[len(args) :]
    extra = sorted(set(options) - set(takes))
    if extra:
        raise _UnknownOption(f"does not take option(s) {', '.join(extra)}; it takes: {', '.join(takes) or 'none'}")
    return cls(*args, **options)


def _lazy(module: str, cls: str, **fixed: Any) -> SuiteFactory:
    """A factory importing `module` only when the suite is opened."""

    def factory(**options: Any) -> Suite:
        import importlib

        return _construct(getattr(importlib.import_module(module), cls), **fixed, **options)

    return factory


register_suite(
    "shapes",
    _lazy("xmbench.data.shapes", "ShapesSuite"),
    "procedural shapes with exact attributes (embedded default, offline)",
)

# real suites: read from a local folder (root=..., default $XMBENCH_HOME/data/<name>); nothing is downloaded
register_suite(
    "cub",
    _lazy("xmbench.data.cub", "CubSuite"),
    "CUB-200-2011 birds, 10 Reed et al. captions per image, 150/50 class split (local folder)",
)
register_suite(
    "oxford",
    _lazy("xmbench.data.oxford", "OxfordSuite"),
    "Oxford-102 flowers, 10 Reed et al. captions per image, 82/20 class split (local folder)",
)
register_suite(
    "coco2014", _lazy("xmbench.data.coco", "CocoSuite", year=2014), "MS-COCO 2014 captions, train/val (local folder)"
)
register_suite(
    "coco2017", _lazy("xmbench.data.coco", "CocoSuite", year=2017), "MS-COCO 2017 captions, train/val (local folder)"
)
register_suite(
    "coco-karpathy",
    _lazy("xmbench.data.karpathy", "KarpathyCocoSuite"),
    "MS-COCO 2014, Karpathy captioning split 113,287/5,000/5,000, about 5 captions per image (local folder)",
)

__all__ = ["Batch", "Sample", "Suite", "get_suite", "list_suites", "register_suite"]
