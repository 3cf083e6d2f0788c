"""Loading user models by import path (`pkg.module:factory`) or by a registered entry-point name.

Shared by the two model contracts (generators and captioners): each names its registry (GENERATORS,
CAPTIONERS: registered names and entry points) and the method its objects must have; every failure is a
one-line InputError.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from xmbench.errors import InputError, unknown_name
from xmbench.registry import Registry


def _registered(name: str, registry: Registry[Any]) -> object:
    if name not in registry:
        raise unknown_name(
            f"{registry.kind} (import paths look like pkg.module:factory; entry points of {registry.group!r})",
            name,
            registry.names(),
        )
    return registry.get(name)


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


def load_factory(spec: str, registry: Registry[Any]) -> Callable[..., object]:
    """The callable named by `spec`: `pkg.module:factory` (dots walk attributes) or a name in `registry`.

    Args:
        spec: an import path with a colon, or a registered name (entry points of the registry's group
            included).
        registry: where names without a colon are looked up (GENERATORS, CAPTIONERS); its `kind`
            names what the factory makes in messages.

    Example:
        >>> from xmbench.registry import Registry
        >>> load_factory("collections:Counter", Registry("counter"))("aab")["a"]
        2
    """
    kind = registry.kind
    factory = _import_attribute(spec, kind) if ":" in spec else _registered(spec, registry)
    if not callable(factory):
        raise InputError(
            f"{kind} factory {spec!r} is a {type(factory).__name__}, not callable; "
            f"point it at a class or a function returning a {kind}"
        )
    return factory


def make_plugin(spec: str, registry: Registry[Any], method: str, signature: str, **kwargs: object) -> object:
    """Call the factory `spec` names with `kwargs` and check the result has `method`.

    Args:
        spec, registry: as for `load_factory`.
        method: the contract's method name (e.g. "generate").
        signature: the method's arguments for the message (e.g. "captions, seed").
        **kwargs: passed to the factory.

    Example:
        >>> from xmbench.registry import Registry
        >>> type(make_plugin("collections:Counter", Registry("counter"), "most_common", "n")).__name__
        'Counter'
    """
    made = load_factory(spec, registry)(**kwargs)
    kind = registry.kind
    if not callable(getattr(made, method, None)):
        raise InputError(
            f"{spec!r} returned a {type(made).__name__} without a {method}({signature}) method; "
            f"return an object implementing the {kind.capitalize()} contract"
        )
    return made
