"""Loading user models by import path (`pkg.module:factory`) or by a registered entry-point name.

Shared by the two model contracts (generators and captioners): each names its registry (GENERATORS,
CAPTIONERS: registered names and entry points) and the method its objects must have; every failure is a
one-line InputError.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from xmbench.errors import InputError, XmbenchError, unknown_name, user_code_error
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
            f"cannot import module {module_name!r} of {kind} {spec!r} ({e}); install it, put it beside the "
            "config file, or add its folder to PYTHONPATH"
        ) from None
    except Exception as e:  # the user's module raised while it was imported
        raise user_code_error(f"importing module {module_name!r} of {kind} {spec!r}", e) from e
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


def check_options(spec: str, registry: Registry[Any], options: dict[str, object]) -> None:
    """InputError, before anything is built, when `options` do not fit the factory's parameters: an
    option it does not take (unless it takes **kwargs), or a parameter without default left out.

    Example:
        >>> from xmbench.registry import Registry
        >>> check_options("collections:OrderedDict", Registry("mapping"), {})
    """
    factory = load_factory(spec, registry)
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: nothing to check
        return
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    named = {p.name: p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    takes = ", ".join(named) or "none"
    for option in options:
        if option not in named:
            raise InputError(f"{registry.kind} {spec!r} takes no option {option!r} (its options: {takes})")
    for name, p in named.items():
        if p.default is p.empty and name not in options:
            raise InputError(f"{registry.kind} {spec!r} needs the option {name!r}; add it to the model's options")


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
    kind = registry.kind
    factory = load_factory(spec, registry)
    try:
        made = factory(**kwargs)
    except XmbenchError:
        raise
    except Exception as e:  # the user's code: name it and what it was given, keep the traceback for --traceback
        given = f"options {{{', '.join(sorted(kwargs))}}}" if kwargs else "no options"
        raise user_code_error(f"{kind} {spec!r} (built with {given})", e) from e
    if not callable(getattr(made, method, None)):
        raise InputError(
            f"{spec!r} returned a {type(made).__name__} without a {method}({signature}) method; "
            f"return an object implementing the {kind.capitalize()} contract"
        )
    return made
