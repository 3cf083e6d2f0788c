"""Loading user models by import path (`pkg.module:factory`) or by a registered entry-point name.

Shared by the two model contracts (generators and captioners): each names its `kind`, its entry-point
group and the method its objects must have; every failure is a one-line InputError.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from xmbench.errors import InputError, unknown_name


def _entry_point(name: str, kind: str, group: str) -> object:
    found = {ep.name: ep for ep in entry_points(group=group)}
    if name not in found:
        raise unknown_name(
            f"{kind} (import paths look like pkg.module:factory; entry points of {group!r})", name, found
        )
    return found[name].load()


def _import_attribute(spec: str, kind: str) -> object:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise InputError(
            f"cannot import module {module_name!r} of {kind} {spec!r} ({e}); install it or add its folder to PYTHONPATH"
        ) from None
    found: object = module
    for part in attr.split("."):
        if not hasattr(found, part):
            raise InputError(f"module {module_name!r} has no attribute {attr!r}; the import path is pkg.module:factory")
        found = getattr(found, part)
    return found


def load_factory(spec: str, kind: str, group: str) -> Callable[..., object]:
    """The callable named by `spec`: `pkg.module:factory` (dots walk attributes) or an entry point of `group`.

    Args:
        spec: an import path with a colon, or an entry-point name.
        kind: what the factory makes, for messages (e.g. "generator").
        group: the entry-point group searched for names without a colon.

    Example:
        >>> load_factory("collections:Counter", "counter", "none")("aab")["a"]
        2
    """
    factory = _import_attribute(spec, kind) if ":" in spec else _entry_point(spec, kind, group)
    if not callable(factory):
        raise InputError(
            f"{kind} factory {spec!r} is a {type(factory).__name__}, not callable; "
            f"point it at a class or a function returning a {kind}"
        )
    return factory


def make_plugin(spec: str, kind: str, group: str, method: str, signature: str, **kwargs: object) -> object:
    """Call the factory `spec` names with `kwargs` and check the result has `method`.

    Args:
        spec, kind, group: as for `load_factory`.
        method: the contract's method name (e.g. "generate").
        signature: the method's arguments for the message (e.g. "captions, seed").
        **kwargs: passed to the factory.

    Example:
        >>> type(make_plugin("collections:Counter", "counter", "none", "most_common", "n")).__name__
        'Counter'
    """
    made = load_factory(spec, kind, group)(**kwargs)
    if not callable(getattr(made, method, None)):
        raise InputError(
            f"{spec!r} returned a {type(made).__name__} without a {method}({signature}) method; "
            f"return an object implementing the {kind.capitalize()} contract"
        )
    return made
