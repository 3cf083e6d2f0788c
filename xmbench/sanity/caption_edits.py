"""Caption degradations for the caption sanity ladder: each edit makes a shapes caption wrong in one way.

Every edit is a pure function of (caption, rng) and returns the caption unchanged when it does not
apply (no colour word to swap, no relation in a one-object caption). Word swaps use the suite's
vocabulary: a colour phrase becomes a synonym of another colour, a shape phrase one of another shape,
a relation phrase one of another relation.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from xmbench.data.shapes.vocabulary import COLOUR_WORDS, RELATION_WORDS, SHAPE_WORDS


def _swap(caption: str, words: dict[str, tuple[str, ...]], rng: np.random.Generator) -> str:
    """Replace one vocabulary phrase of `words` (chosen with rng) by a synonym of another value."""
    phrases = sorted(((w, v) for v, ws in words.items() for w in ws), key=lambda p: -len(p[0]))
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w, _ in phrases) + r")\b")
    found = list(pattern.finditer(caption))
    if not found:
        return caption
    match = found[int(rng.integers(len(found)))]
    value = next(v for w, v in phrases if w == match.group(1))
    others = [v for v in words if v != value]
    new_value = others[int(rng.integers(len(others)))]
    synonyms = words[new_value]
    replacement = synonyms[int(rng.integers(len(synonyms)))]
    return caption[: match.start()] + replacement + caption[match.end() :]


def swap_colour(caption: str, rng: np.random.Generator) -> str:
    """One colour word becomes another colour."""
    return _swap(caption, COLOUR_WORDS, rng)


def swap_shape(caption: str, rng: np.random.Generator) -> str:
    """One shape word becomes another shape."""
    return _swap(caption, SHAPE_WORDS, rng)


def swap_relation(caption: str, rng: np.random.Generator) -> str:
    """The relation becomes another relation (one-object captions have none: unchanged)."""
    return _swap(caption, RELATION_WORDS, rng)


def drop_word(caption: str, rng: np.random.Generator) -> str:
    """One word (chosen with rng) removed."""
    words = caption.split()
    if len(words) < 2:
        return caption
    k = int(rng.integers(len(words)))
    return " ".join(words[:k] + words[k + 1 :])


def truncate(caption: str, rng: np.random.Generator) -> str:
    """The first half of the words (rounded up)."""
    words = caption.split()
    return " ".join(words[: (len(words) + 1) // 2])


#: edit name -> function; "shuffle" (captions moved between images) is applied to the whole set
EDITS: dict[str, Callable[[str, np.random.Generator], str]] = {
    "colour": swap_colour,
    "shape": swap_shape,
    "relation": swap_relation,
    "drop_word": drop_word,
    "truncate": truncate,
}


def edited_set(captions: list[str], edit: str, share: float, seed: int) -> list[str]:
    """`captions` with the first round(share * n) of a seeded order edited.

    The edited sets are nested (a larger share edits a superset) and each caption's edit is fixed by
    (seed, its index), so a metric that sees the edit can only move one way as the share grows.
    "shuffle": the chosen captions move one place along the chosen order (each goes to another image).

    Example:
        >>> edited_set(["a red circle", "a blue box"], "colour", 0.0, seed=0)
        ['a red circle', 'a blue box']
    """
    n = len(captions)
    order = np.random.default_rng([seed, 1]).permutation(n)
    chosen = [int(i) for i in order[: round(share * n)]]
    out = list(captions)
    if edit == "shuffle":
        for a, b in zip(chosen, chosen[1:] + chosen[:1], strict=True):
            out[a] = captions[b]
        return out
    for i in chosen:
        out[i] = EDITS[edit](captions[i], np.random.default_rng([seed, 2, i]))
    return out
