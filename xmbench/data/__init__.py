"""Suites: the registry of named datasets of (image, caption, attributes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from xmbench.data.base import Batch, Sample, Suite
from xmbench.errors import unknown_name

SuiteFactory = Callable[..., Suite]


def _shapes(**options: Any) -> Suite:
    from xmbench.data.shapes import ShapesSuite
    return ShapesSuite(**options)


_REGISTRY: dict[str, tuple[SuiteFactory, str]] = {
    "shapes": (_shapes, "procedural shapes with exact attributes (embedded default, offline)"),
}


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
    if name.startswith("folder:"):
        from xmbench.data.folder import FolderSuite
        return FolderSuite(Path(name.split(":", 1)[1]), **options)
    if name not in _REGISTRY:
        raise unknown_name("suite", name, [*_REGISTRY, "folder:PATH"])
    return _REGISTRY[name][0](**options)


__all__ = ["Batch", "Sample", "Suite", "get_suite", "list_suites", "register_suite"]
