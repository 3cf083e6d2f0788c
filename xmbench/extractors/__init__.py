"""Extractor registry: named frozen networks mapping images (and captions) to features."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xmbench.errors import unknown_name
from xmbench.extractors.base import Extractor, ExtractorInfo

ExtractorFactory = Callable[..., Extractor]
_REGISTRY: dict[str, tuple[ExtractorFactory, str]] = {}


def register_extractor(name: str, factory: ExtractorFactory, summary: str) -> None:
    """Register `factory(**options) -> Extractor` under `name`."""
    _REGISTRY[name] = (factory, summary)


def list_extractors() -> dict[str, str]:
    """Extractor id -> one-line summary."""
    _load_builtins()
    return {name: summary for name, (_, summary) in _REGISTRY.items()}


def get_extractor(name: str, **options: Any) -> Extractor:
    """Build the extractor `name`; options such as weights=PATH, device=... go to its factory."""
    _load_builtins()
    if name not in _REGISTRY:
        raise unknown_name("extractor", name, _REGISTRY)
    return _REGISTRY[name][0](**options)


def _load_builtins() -> None:
    """Import the built-in extractor modules; each registers itself on import."""
    import importlib

    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


#: modules that call register_extractor on import (added as extractors land)
_BUILTIN_MODULES: list[str] = [
    "xmbench.extractors.shapes_v1",
    "xmbench.extractors.inception",
    "xmbench.extractors.clip",
]

__all__ = ["Extractor", "ExtractorInfo", "get_extractor", "list_extractors", "register_extractor"]
