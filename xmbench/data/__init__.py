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
    """Register a suite factory `factory(**options) -> Suite` under `name` (same as SUITES.register).

    Args:
        name: the suite's name in `get_suite`, run configs and `--suite`.
        factory: a Suite subclass or a function returning a Suite; called with the suite's options.
        summary: one line for `xmbench suites`.

    Example:
        >>> from xmbench.data.shapes import ShapesSuite
        >>> register_suite("shapes-64", lambda **o: ShapesSuite(resolution=64, **o), "shapes at 64x64")
        >>> get_suite("shapes-64").resolution
        64
        >>> SUITES.remove("shapes-64")
    """
    SUITES.register(name, factory, summary=summary)


def list_suites() -> dict[str, str]:
    """Every registered suite: name -> one-line summary. `folder:PATH` is always available too.

    Example:
        >>> suites = list_suites()
        >>> "shapes" in suites and "cub" in suites
        True
        >>> suites["shapes"]
        'procedural shapes with exact attributes (embedded default, offline)'
    """
    return SUITES.summaries()


def get_suite(name: str, **options: Any) -> Suite:
    """Open a suite: a registered name, or `folder:PATH` for a folder with captions.jsonl.

    Args:
        name: a name from `list_suites()`, or `folder:PATH`.
        **options: suite-specific keywords, e.g. `resolution=64` for shapes, `root=PATH` for a real suite.

    Returns:
        The Suite. Real suites check their folder's layout when opened.

    Raises:
        InputError: an unknown name (suggesting close ones) or an option the suite does not take.

    Example:
        >>> suite = get_suite("shapes")
        >>> suite.resolution, suite.size("test")
        (32, 5000)
        >>> get_suite("shapez")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: unknown suite 'shapez'; did you mean 'shapes'?
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
        "shapes-skills",
        "xmbench.data.shapes_skills:ShapesSkillsSuite",
        "procedural shapes by skill: counting, binding, occlusion, comparative, position, relation (offline)",
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
