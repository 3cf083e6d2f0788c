"""Rewrites of shapes prompts for robustness runs: the same scene said differently.

Each rewrite is built from the prompt's scene record, so it describes exactly that scene by
construction; generated images are judged against the original record. Three variants:

- `paraphrase`: templates and words the suite's captions never use (a held-out table: "ball" for
  circle, "cherry" for red, "miniature" for small, compass points for grid cells, "westward of" for
  left of), chosen per prompt from its seed;
- `typo`: the original caption with one character typo: a word of at least four letters is picked,
  and one of its letters after the first is dropped, doubled or swapped with the next one. The first
  letter of a word is never touched, so the word stays recognisable the way a reader's typo would;
- `clause_order` (two-object prompts only): the relation stated from the other object's side ("A left
  of B" becomes "B right of A"), in the suite's own templates and synonyms. One-object prompts have no
  rewrite (`None`): they are left out of the variant's score.

`rewrite(variant, caption, record, seed)` is a pure function of its arguments. Bump `VERSION` when any
rewrite changes; robustness records carry it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from xmbench.data.phrases import pick, with_articles
from xmbench.data.shapes.grammar import make_caption
from xmbench.data.shapes.reading import INVERSE_RELATION
from xmbench.errors import unknown_name

#: bump when a rewrite changes (robustness results record it)
VERSION = 1
VARIANTS: tuple[str, ...] = ("paraphrase", "typo", "clause_order")

#: held-out wording: no word here occurs in the suite's captions (tests/data/test_rewrites.py)
PARAPHRASE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "shape": {
        "circle": ("ball", "orb"),
        "square": ("tile", "quadrate"),
        "triangle": ("pyramid", "trigon"),
        "diamond": ("kite", "rhomb"),
        "cross": ("crosshair", "cruciform"),
    },
    "colour": {
        "red": ("cherry", "ruby"),
        "orange": ("apricot", "pumpkin"),
        "yellow": ("canary", "mustard"),
        "green": ("jade", "mint"),
        "blue": ("navy", "sapphire"),
        "purple": ("lilac", "plum"),
    },
    "size": {"small": ("miniature", "petite"), "large": ("giant", "massive")},
    "position": {
        "top left": ("northwest",),
        "top": ("north",),
        "top right": ("northeast",),
        "left": ("west",),
        "centre": ("midpoint",),
        "right": ("east",),
        "bottom left": ("southwest",),
        "bottom": ("south",),
        "bottom right": ("southeast",),
    },
    "relation": {
        "left of": ("westward of", "to the west of"),
        "right of": ("eastward of", "to the east of"),
        "above": ("higher than", "north of"),
        "below": ("underneath", "south of"),
    },
}
#: a colour word may carry this suffix ("cherry-coloured")
COLOURED = "-coloured"
# {s1} {c1} {o1}: size, colour, shape of objects[0]; {p1} its grid cell; {r} the relation of objects[0]
# to objects[1]; {s2} {c2} {o2} objects[1]
PARAPHRASE_ONE_OBJECT: tuple[str, ...] = (
    "the picture shows a {s1} {c1} {o1} toward the {p1} of the frame",
    "toward the {p1} of the frame we see one {s1} {c1} {o1}",
    "a {c1} {o1}, {s1}, can be found toward the {p1} of the frame",
)
PARAPHRASE_TWO_OBJECTS: tuple[str, ...] = (
    "the picture shows a {s1} {c1} {o1} {r} a {s2} {c2} {o2}",
    "we see one {s1} {c1} {o1} {r} one {s2} {c2} {o2}",
    "a {s1} {c1} {o1} can be found {r} a {s2} {c2} {o2}",
)
#: words a typo may fall in: at least this many letters
TYPO_MIN_LETTERS = 4


def paraphrase(record: dict[str, Any], rng: np.random.Generator) -> str:
    """The scene of `record` in the held-out templates and words.

    Example:
        >>> record = {"objects": [{"shape": "circle", "colour": "red", "size": "small", "position": "top"}],
        ...           "relation": None}
        >>> paraphrase(record, np.random.default_rng(0))
        'the picture shows a petite ruby-coloured ball toward the north of the frame'
    """
    objects = record["objects"]
    words = PARAPHRASE_WORDS
    values: dict[str, str] = {}
    for k, obj in enumerate(objects, start=1):
        values[f"s{k}"] = pick(rng, words["size"][obj["size"]])
        colour = pick(rng, words["colour"][obj["colour"]])
        values[f"c{k}"] = colour + COLOURED if rng.integers(2) else colour
        values[f"o{k}"] = pick(rng, words["shape"][obj["shape"]])
        if "position" in obj:
            values[f"p{k}"] = pick(rng, words["position"][obj["position"]])
    if record.get("relation"):
        values["r"] = pick(rng, words["relation"][record["relation"]])
    templates = PARAPHRASE_ONE_OBJECT if len(objects) == 1 else PARAPHRASE_TWO_OBJECTS
    return with_articles(pick(rng, templates).format(**values))


def _typo_edits(caption: str) -> list[tuple[str, int]]:
    """Every (edit, position) that changes `caption`: a letter after the first of a word of
    TYPO_MIN_LETTERS or more letters dropped, doubled, or swapped with a different next letter."""
    edits = []
    for m in re.finditer(r"[a-z]+", caption):
        if m.end() - m.start() < TYPO_MIN_LETTERS:
            continue
        for at in range(m.start() + 1, m.end()):
            edits += [("drop", at), ("double", at)]
            if at + 1 < m.end() and caption[at] != caption[at + 1]:
                edits.append(("swap", at))
    return edits


def typo(caption: str, rng: np.random.Generator) -> str:
    """`caption` with one typo, drawn uniformly from every edit that changes it: a letter after the first
    of a word of TYPO_MIN_LETTERS or more letters dropped, doubled or swapped with the next one; a
    caption without such a word is returned unchanged.

    Example:
        >>> typo("a small red circle in the top left", np.random.default_rng(3))
        'a small red circle in the top leeft'
    """
    edits = _typo_edits(caption)
    if not edits:
        return caption
    edit, at = edits[int(rng.integers(len(edits)))]
    if edit == "drop":
        return caption[:at] + caption[at + 1 :]
    if edit == "double":
        return caption[: at + 1] + caption[at:]
    return caption[:at] + caption[at + 1] + caption[at] + caption[at + 2 :]


def swapped(record: dict[str, Any]) -> dict[str, Any] | None:
    """The same two-object scene stated from the other object's side (objects reversed, relation
    inverted); None for a one-object record.

    Example:
        >>> a, b = {"shape": "circle"}, {"shape": "cross"}
        >>> swapped({"objects": [a, b], "relation": "above"})
        {'objects': [{'shape': 'cross'}, {'shape': 'circle'}], 'relation': 'below'}
    """
    if len(record["objects"]) != 2:
        return None
    return {"objects": record["objects"][::-1], "relation": INVERSE_RELATION[record["relation"]]}


def clause_order(record: dict[str, Any], rng: np.random.Generator) -> str | None:
    """A two-object scene's caption that names the other object first (`swapped`), in the suite's
    grammar; None for a one-object record.

    Example:
        >>> a = {"shape": "circle", "colour": "red", "size": "small"}
        >>> b = {"shape": "cross", "colour": "blue", "size": "large"}
        >>> clause_order({"objects": [a, b], "relation": "left of"}, np.random.default_rng(0))
        'one big azure cross placed to the right of one small red circle'
    """
    other = swapped(record)
    if other is None:
        return None
    caption = make_caption(other, rng)
    while caption.endswith(" it"):  # the grammar's one template naming objects[1] first would undo the swap
        caption = make_caption(other, rng)
    return caption


def draw_rewrite(
    variant: str,
    caption: str,
    record: dict[str, Any],
    seed: int,
    suite: str,
    paraphrase: Callable[[dict[str, Any], np.random.Generator], str],
    clause_order: Callable[[dict[str, Any], np.random.Generator], str | None],
) -> str | None:
    """The `variant` rewrite of a prompt of `suite` by that suite's `paraphrase` and `clause_order`
    (typos are the same for every suite), the generator seeded from (`seed`, the variant); an
    unknown variant is refused in one line. What each suite's `rewrite` calls."""
    if variant not in VARIANTS:
        raise unknown_name(f"robustness variant of {suite}", variant, VARIANTS)
    rng = np.random.default_rng([int(seed), VARIANTS.index(variant)])
    if variant == "paraphrase":
        return paraphrase(record, rng)
    if variant == "typo":
        return typo(caption, rng)
    return clause_order(record, rng)


def rewrite(variant: str, caption: str, record: dict[str, Any], seed: int) -> str | None:
    """The `variant` rewrite of prompt `caption` with scene `record`, drawn from `seed`; None where the
    variant does not apply (clause_order of a one-object scene).

    Example:
        >>> record = {"objects": [{"shape": "square", "colour": "blue", "size": "large", "position": "left"}],
        ...           "relation": None}
        >>> rewrite("typo", "a large blue square in the left", record, seed=1)
        'a large blue suqare in the left'
    """
    return draw_rewrite(variant, caption, record, seed, "shapes", paraphrase, clause_order)


__all__ = [
    "PARAPHRASE_WORDS",
    "VARIANTS",
    "VERSION",
    "clause_order",
    "draw_rewrite",
    "paraphrase",
    "rewrite",
    "swapped",
    "typo",
]
