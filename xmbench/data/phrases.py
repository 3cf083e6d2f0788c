"""Phrase lexicons and their longest-match split, shared by the tolerant caption readers; the word
draw and article agreement shared by the grammars and rewrites that write captions.

`xmbench.data.shapes.reading` and `xmbench.data.shapes_skills.reading` read a caption by its
vocabulary: each builds a lexicon (phrase -> (kind, value)) from its word tables and cuts the
caption's words into vocabulary units, longest phrase first. This module holds the part they share:
normalising a caption into words, building a lexicon from tables, the longest-match split and the
filler words a reader does not list as ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

import numpy as np

#: a vocabulary unit (kind, value), or a word outside the vocabulary (plain str)
Unit: TypeAlias = tuple[str, Any] | str

#: words a reader ignores without listing them
FILLER_WORDS: frozenset[str] = frozenset(
    ("the", "there", "is", "are", "at", "in", "on", "of", "placed", "sits", "sit", "lies", "lie", "located")
    + ("and", "that", "which", "with", "to", "image", "picture", "its", "be", "being", "has", "shows", "showing")
    + ("show", "depicts", "depicting", "photo")
)


def pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    """One of `options`, drawn uniformly with `rng` (one `integers` draw).

    Example:
        >>> pick(np.random.default_rng(0), ("ball", "orb"))
        'orb'
    """
    return options[int(rng.integers(len(options)))]


def with_articles(text: str) -> str:
    """`text` with "a" before a vowel letter written "an".

    Example:
        >>> with_articles("a orange box and a red orb")
        'an orange box and a red orb'
    """
    return re.sub(r"\ba (?=[aeiou])", "an ", text)


def caption_words(caption: str) -> list[str]:
    """Lower-case `caption`, turn punctuation and hyphens into spaces, read "an" as "a", and split.

    Args:
        caption: any text.

    Returns:
        The caption's words.

    Example:
        >>> caption_words("An up-side, RED circle!")
        ['a', 'up', 'side', 'red', 'circle']
    """
    return re.sub(r"\ban\b", "a", re.sub(r"[^a-z0-9' ]+", " ", caption.lower())).split()


def build_lexicon(tables: Mapping[str, Mapping[Any, Iterable[str]]]) -> dict[tuple[str, ...], tuple[str, Any]]:
    """A lexicon from word tables: kind -> value -> phrases; the first table to hold a phrase keeps it.

    Args:
        tables: for each kind, each value's phrases (words separated by spaces).

    Returns:
        Phrase (tuple of words) -> (kind, value).

    Example:
        >>> build_lexicon({"colour": {"red": ("red", "crimson")}, "shape": {"red": ("red",)}})
        {('red',): ('colour', 'red'), ('crimson',): ('colour', 'red')}
    """
    out: dict[tuple[str, ...], tuple[str, Any]] = {}
    for kind, table in tables.items():
        for value, phrases in table.items():
            for phrase in phrases:
                out.setdefault(tuple(phrase.split()), (kind, value))
    return out


def split_units(caption: str, lexicon: Mapping[tuple[str, ...], tuple[str, Any]]) -> list[Unit]:
    """Vocabulary units (kind, value) and ignored words (plain str) of `caption`, longest phrases first.

    Args:
        caption: any text; read by `caption_words`.
        lexicon: phrase (tuple of words) -> (kind, value), as `build_lexicon` makes it.

    Returns:
        The caption's units in order.

    Example:
        >>> lexicon = build_lexicon({"position": {"top left": ("top left",)}, "side": {"left": ("left",)}})
        >>> split_units("at the top-left, left", lexicon)
        ['at', 'the', ('position', 'top left'), ('side', 'left')]
    """
    words = caption_words(caption)
    longest = max(len(k) for k in lexicon)
    out: list[Unit] = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            unit = lexicon.get(tuple(words[i : i + n]))
            if unit is not None:
                out.append(unit)
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


def noun_follows(units: list[Unit], i: int, attributes: Iterable[str]) -> bool:
    """Whether a shape noun ("shape" or "shapes" unit) comes after units[i] before anything but
    `attributes` and ignored words.

    Args:
        units: as `split_units` returns them.
        i: the index of the unit to look past.
        attributes: the kinds to pass over.

    Returns:
        True when the next unit of another kind is a shape noun.

    Example:
        >>> units = [("colour", "red"), "bright", ("size", "large"), ("shape", "circle")]
        >>> noun_follows(units, 0, ("size", "colour")), noun_follows(units, 0, ("colour",))
        (True, False)
    """
    for unit in units[i + 1 :]:
        if isinstance(unit, str) or unit[0] in attributes:
            continue
        return unit[0] in ("shape", "shapes")
    return False


def ignored_words(units: list[Unit], filler: frozenset[str] = FILLER_WORDS) -> list[str]:
    """The words of `units` outside the vocabulary, less the filler words.

    Example:
        >>> ignored_words(["the", ("shape", "circle"), "cat"])
        ['cat']
    """
    return [u for u in units if isinstance(u, str) and u not in filler]


class UnitReader:
    """A left-to-right reader of vocabulary units: subclasses implement `feed` and set `error` to stop.

    Example:
        >>> class Shapes(UnitReader):
        ...     def __init__(self) -> None:
        ...         self.error, self.seen = None, []
        ...     def feed(self, units: list[Unit], i: int) -> None:
        ...         self.seen.append(units[i][1])
        >>> reader = Shapes()
        >>> reader.read(["a", ("shape", "circle"), ("shape", "square")])
        >>> reader.seen
        ['circle', 'square']
    """

    error: str | None = None

    def feed(self, units: list[Unit], i: int) -> None:
        """Take in units[i], a vocabulary unit (kind, value); the units around it give its context."""
        raise NotImplementedError

    def read(self, units: list[Unit]) -> None:
        """`feed` each vocabulary unit in order, stopping at the first that sets `error`."""
        for i, unit in enumerate(units):
            if not isinstance(unit, str):
                self.feed(units, i)
            if self.error is not None:
                break
