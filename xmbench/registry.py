"""One generic registry for everything xmbench looks up by name.

A `Registry[T]` maps names to objects of one kind (suite factories, extractor classes, metric specs,
baseline classes, ...). Entries come from three places:

- decorator or direct registration: `@SUITES.register("name", summary="...")` above a class or
  function, or `SUITES.register("name", obj, summary="...")`;
- lazy placeholders: `SUITES.register("name", lazy="pkg.module:attr", summary="...")` imports
  `pkg.module` only when the entry is first fetched;
- families: `EXTRACTORS.register("clip:", lazy="pkg.module:factory", summary="...")`, a name
  ending in ":", answers every name with that prefix: `get("clip:ViT-L-14/openai")` returns the
  factory with the text after the prefix bound as its first argument;
- entry points of installed distributions, in the registry's group (e.g. `xmbench.suites`):
  `name = "pkg.module:attr"` under `[project.entry-points."xmbench.suites"]`. Entry points are read
  once, on the first lookup, and stay lazy until fetched; a built-in name wins over a plugin's.

Before its first lookup a registry imports its `preload` modules, where the built-in entries are
registered. Unknown names raise an InputError that suggests the closest known names.

Example:
    >>> from xmbench.registry import Registry
    >>> colours = Registry("colour")
    >>> @colours.register("red", summary="the colour red")
    ... def red() -> str:
    ...     return "#ff0000"
    >>> colours.register("sqrt", lazy="math:sqrt", summary="imported on first use")
    >>> colours.register("hex:", lazy="builtins:int", summary="int(DIGITS, base)")
    >>> colours.names()
    ['red', 'sqrt', 'hex:']
    >>> colours.get("sqrt")(16.0)
    4.0
    >>> colours.get("hex:ff")(16), "hex:00" in colours
    (255, True)
    >>> colours.get("rd")
    Traceback (most recent call last):
    ...
    xmbench.errors.InputError: unknown colour 'rd'; did you mean 'red'?
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from xmbench.errors import InputError, unknown_name

if TYPE_CHECKING:
    from baselines.base import Baseline
    from xmbench.data.base import Suite
    from xmbench.extractors.base import Extractor
    from xmbench.metrics.captioning.registry import CaptionMetric
    from xmbench.metrics.registry import MetricSpec

T = TypeVar("T")
_UNSET: Any = object()


@dataclass
class Entry(Generic[T]):
    """One registered name: its summary, the object (None until a lazy entry is loaded) and where it came from."""

    name: str
    summary: str
    obj: T | None = None
    lazy: str | None = None  # "pkg.module:attr" still to import
    source: str = "built-in"


class Registry(Generic[T]):
    """Named objects of one kind, with lazy imports, entry points and did-you-mean errors.

    Args:
        kind: what one entry is, in error messages ("suite", "extractor", ...).
        group: the entry-point group read on first lookup (e.g. "xmbench.suites"); None reads none.
        preload: modules imported on first lookup; they register the built-in entries.
    """

    def __init__(self, kind: str, group: str | None = None, preload: tuple[str, ...] = ()) -> None:
        self.kind, self.group, self.preload = kind, group, preload
        self._entries: dict[str, Entry[T]] = {}
        self._loaded = False

    def register(self, name: str, obj: Any = _UNSET, *, summary: str = "", lazy: str | None = None) -> Any:
        """Register `obj` under `name`; without `obj` (and `lazy`), return a decorator that does.

        Args:
            name: the lookup name; registering another object under a taken name raises InputError.
            obj: the object; omit it to use `register` as a decorator.
            summary: one line shown by `summaries()` and the command line's listings.
            lazy: "pkg.module:attr" imported on the first `get(name)` instead of `obj`.

        Returns:
            None for direct and lazy registration; the decorator otherwise (it returns its argument).
        """
        if lazy is not None:
            if obj is not _UNSET:
                raise InputError(f"{self.kind} {name!r}: give an object or lazy='module:attr', not both")
            self._add(Entry(name, summary, lazy=lazy))
            return None
        if obj is _UNSET:

            def decorator(target: Any) -> Any:
                self._add(Entry(name, summary, obj=target))
                return target

            return decorator
        self._add(Entry(name, summary, obj=obj))
        return None

    def remove(self, name: str) -> None:
        """Forget `name` (for tests and plugins that register temporarily); unknown names are ignored."""
        self._entries.pop(name, None)

    def names(self) -> list[str]:
        """Every registered name, in registration order (built-ins first, then entry points)."""
        self._load()
        return list(self._entries)

    def summaries(self) -> dict[str, str]:
        """name -> one-line summary, without importing lazy entries."""
        self._load()
        return {name: entry.summary for name, entry in self._entries.items()}

    def get(self, name: str) -> T:
        """The object registered as `name`, importing it first if it is lazy; for a name under a family
        ("clip:" for "clip:ViT-L-14/openai"), the family's object with the rest of the name bound first.

        Raises:
            InputError: `name` is unknown (the message suggests close names), or a lazy entry cannot
                be imported.
        """
        self._load()
        entry, argument = self._lookup(name)
        if entry is None:
            raise unknown_name(self.kind, name, self._entries)
        if name.endswith(":"):
            raise InputError(f"{self.kind} {name!r} is a family: name one of its members ({entry.summary})")
        if entry.lazy is not None:
            entry.obj, entry.lazy = self._import(entry), None
        if argument is not None:
            return functools.partial(entry.obj, argument)  # type: ignore[arg-type, return-value]
        return entry.obj  # type: ignore[return-value]

    def __contains__(self, name: object) -> bool:
        self._load()
        return isinstance(name, str) and self._lookup(name)[0] is not None

    def _lookup(self, name: str) -> tuple[Entry[T] | None, str | None]:
        """The entry for `name` and, when a family answers it, the text after the family's prefix."""
        entry = self._entries.get(name)
        if entry is not None or ":" not in name:
            return entry, None
        prefix, _, rest = name.partition(":")
        family = self._entries.get(prefix + ":")
        return (family, rest) if family is not None and rest else (None, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def _add(self, entry: Entry[T]) -> None:
        old = self._entries.get(entry.name)
        if old is not None and not _same(old, entry):
            raise InputError(
                f"{self.kind} {entry.name!r} is already registered ({old.source}); register yours under another name"
            )
        if old is None:
            self._entries[entry.name] = entry

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True  # before importing: a preload module may look names up while it registers
        try:
            for module in self.preload:
                importlib.import_module(module)
        except BaseException:
            self._loaded = False
            raise
        self._load_entry_points()

    def _load_entry_points(self) -> None:
        if self.group is None:
            return
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.group):
            dist = getattr(ep.dist, "name", None) or "an unnamed distribution"
            if ep.name in self._entries:
                warnings.warn(
                    f"entry point {ep.name!r} of {dist} in {self.group!r} is ignored: "
                    f"{self.kind} {ep.name!r} is already registered ({self._entries[ep.name].source})",
                    stacklevel=3,
                )
                continue
            self._entries[ep.name] = Entry(
                ep.name, f"plugin from {dist}", lazy=ep.value, source=f"entry point of {dist} in {self.group!r}"
            )

    def _import(self, entry: Entry[T]) -> T:
        module_name, _, attr = (entry.lazy or "").partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split(".") if attr else ():
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as e:
            raise InputError(
                f"cannot load {self.kind} {entry.name!r} from {entry.lazy!r} ({entry.source}): {e}; "
                "install the package that provides it or fix the 'module:attr' path"
            ) from None
        return obj


def _same(old: Entry[Any], new: Entry[Any]) -> bool:
    """Whether registering `new` over `old` repeats the same registration (e.g. a module imported twice)."""
    if old.lazy is not None or new.lazy is not None:
        return old.lazy == new.lazy
    return old.obj is new.obj


#: suite factories `factory(**options) -> Suite`; built-ins in xmbench.data
SUITES: Registry[Callable[..., Suite]] = Registry("suite", "xmbench.suites", preload=("xmbench.data",))
#: extractor factories `factory(**options) -> Extractor`; built-ins in xmbench.extractors
EXTRACTORS: Registry[Callable[..., Extractor]] = Registry(
    "extractor", "xmbench.extractors", preload=("xmbench.extractors",)
)
#: metric specs (name, factory, needs); built-ins registered by the modules named here
METRICS: Registry[MetricSpec] = Registry(
    "metric",
    "xmbench.metrics",
    preload=(
        "xmbench.metrics.fd",
        "xmbench.metrics.fd_infinity",
        "xmbench.metrics.kid",
        "xmbench.metrics.cmmd",
        "xmbench.metrics.inception_score",
        "xmbench.metrics.clip_score",
        "xmbench.metrics.r_precision",
        "xmbench.metrics.prdc",
        "xmbench.metrics.attributes",
        "xmbench.metrics.prompt_diversity",
        "xmbench.metrics.memorisation",
    ),
)
#: trainable reference generators (Baseline subclasses); built-ins in baselines.registry
BASELINES: Registry[type[Baseline]] = Registry("baseline", "xmbench.baselines", preload=("baselines.registry",))
#: calibration generator classes with `for_suite(suite, split)`; built-ins in baselines.registry
CALIBRATION: Registry[Any] = Registry("calibration generator", "xmbench.calibration", preload=("baselines.registry",))
#: generators by name (factories returning an object with generate(captions, seed)): entry points, and
#: the shared-latent model (baselines.registry)
GENERATORS: Registry[Callable[..., Any]] = Registry("generator", "xmbench.generators", preload=("baselines.registry",))
#: image -> text models (factories returning an object with caption(images, seed) -> list[str]); built-ins
#: (trained reference captioners, the retrieval captioner) in baselines.registry
CAPTIONERS: Registry[Callable[..., Any]] = Registry("captioner", "xmbench.captioners", preload=("baselines.registry",))
#: calibration captioner classes with `for_suite(suite, split)`, `role` and `VERSION`
CAPTION_CALIBRATION: Registry[Any] = Registry(
    "calibration captioner", "xmbench.caption_calibration", preload=("baselines.calibration_captioners",)
)
#: caption (image -> text) metrics (CaptionMetric: functional form, streaming class, VERSION, inputs);
#: a registry of their own, so text -> image runs never list them
CAPTION_METRICS: Registry[CaptionMetric] = Registry(
    "caption metric", "xmbench.caption_metrics", preload=("xmbench.metrics.captioning.registry",)
)

__all__ = [
    "BASELINES",
    "CALIBRATION",
    "CAPTIONERS",
    "CAPTION_CALIBRATION",
    "CAPTION_METRICS",
    "EXTRACTORS",
    "GENERATORS",
    "METRICS",
    "SUITES",
    "Entry",
    "Registry",
]
