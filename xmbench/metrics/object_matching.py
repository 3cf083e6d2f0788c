"""Matching the objects a prompt or caption names to the objects an image holds.

Judges of several objects (attribute accuracy on shapes-skills, caption correctness) pair each expected
object with at most one seen object so that the most attributes agree; one mistake is then counted once
(a swapped colour is two wrong colours, not a wrong count as well).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

Assignment = tuple[int | None, ...]


@lru_cache(maxsize=64)
def assignments(n_expected: int, n_seen: int) -> tuple[Assignment, ...]:
    """Every way to give each of `n_expected` objects a distinct one of `n_seen` (or None), matching as
    many as both sides allow; identity-like orders first.

    Example:
        >>> assignments(2, 1)
        ((0, None), (None, 0))
    """
    slots = list(range(n_seen)) + [None] * n_expected
    matched = min(n_expected, n_seen)
    found = {a for a in itertools.permutations(slots, n_expected) if sum(c is not None for c in a) == matched}
    return tuple(sorted(found, key=lambda a: [n_seen if c is None else c for c in a]))


def agreement(expected: Sequence[dict[str, Any]], seen: Sequence[dict[str, Any]], assign: Assignment,
              keys: Sequence[str]) -> int:  # fmt: skip
    """How many of `keys` (those an expected object has) agree between it and its assigned seen object.

    Example:
        >>> agreement([{"shape": "circle", "colour": "red"}], [{"shape": "circle", "colour": "blue"}], (0,),
        ...           ("shape", "colour", "size"))
        1
    """
    return sum(
        seen[c].get(k) == e[k] for e, c in zip(expected, assign, strict=True) if c is not None for k in keys if k in e
    )


def identified(expected: Sequence[dict[str, Any]], seen: Sequence[dict[str, Any]], assign: Assignment,
               keys: Sequence[str]) -> bool:  # fmt: skip
    """Whether every expected object has a seen object agreeing on at least one of `keys`: a relation
    between objects that share nothing with the named ones is not judged to hold.

    Example:
        >>> identified([{"shape": "circle", "colour": "red"}], [{"shape": "square", "colour": "red"}], (0,), ["shape"])
        False
    """
    return all(
        c is not None and any(seen[c].get(k) == e[k] for k in keys if k in e)
        for e, c in zip(expected, assign, strict=True)
    )


def best_assignment(
    expected: Sequence[dict[str, Any]],
    seen: Sequence[dict[str, Any]],
    keys: Sequence[str],
    tiebreak: Callable[[Assignment], bool] | None = None,
) -> Assignment:
    """The assignment with the most agreeing attributes; among equals, one where `tiebreak` holds, then the
    first in `assignments` order.

    Args:
        expected: the objects named; keys an object lacks are not compared.
        seen: the objects found (missing keys never agree).
        keys: the attributes compared.
        tiebreak: an extra judgement of a whole assignment, e.g. that a relation holds.

    Returns:
        For each expected object, the index of its seen object or None.

    Example:
        >>> expected = [{"shape": "circle", "colour": "red"}, {"shape": "square", "colour": "blue"}]
        >>> seen = [{"shape": "square", "colour": "blue"}, {"shape": "circle", "colour": "green"}]
        >>> best_assignment(expected, seen, ("shape", "colour"))
        (1, 0)
    """
    options = assignments(len(expected), len(seen))

    def score(a: Assignment) -> tuple[int, bool]:
        return agreement(expected, seen, a, keys), bool(tiebreak(a)) if tiebreak is not None else False

    best = options[0]
    best_score = score(best)
    for a in options[1:]:
        s = score(a)
        if s > best_score:
            best, best_score = a, s
    return best
