"""Rewrites of shapes-skills prompts for robustness runs: the same scene said differently, for every skill.

The variants are those of `shapes` v1 (`xmbench.data.shapes.rewrites`), extended to the skills grammar.
Each rewrite is built from the prompt's scene record, so it describes exactly that scene; generated
images are judged against the original record, and the robustness run reports each skill's drop.

- `paraphrase`: per skill, templates and words the suite's captions never use: v1's held-out table
  ("ball" for circle, "cherry" for red, compass points for grid cells) plus held-out plurals ("orbs"),
  counts (numerals, "a pair of"), textures ("pinstriped", "freckled"), depth ("occluding",
  "eclipsed by") and size comparisons ("dwarfing", "outsized by");
- `typo`: one character typo in a word of at least four letters (v1's `typo`);
- `clause_order`: scenes of two or three named things said in another order: a relation, occlusion or
  comparative from the other object's side ("A in front of B" becomes "B behind A"), the groups of a
  two-group count or the objects of a binding prompt listed in reverse, in the suite's own templates
  (only those naming the objects in order). Position prompts and one-group counts have no rewrite
  (`None`): they are left out of the variant's score.

`rewrite(variant, caption, record, seed)` is a pure function of its arguments. Bump `VERSION` when any
rewrite changes; robustness records carry it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xmbench.data.phrases import pick, with_articles
from xmbench.data.shapes.rewrites import (
    COLOURED,
    PARAPHRASE_ONE_OBJECT,
    PARAPHRASE_TWO_OBJECTS,
    VARIANTS,
    draw_rewrite,
)
from xmbench.data.shapes.rewrites import PARAPHRASE_WORDS as SHAPES_PARAPHRASE_WORDS
from xmbench.data.shapes_skills.grammar import TEMPLATES, make_caption
from xmbench.data.shapes_skills.vocabulary import CONVERSE

#: bump when a rewrite changes (robustness results record it)
VERSION = 1

#: held-out wording: no word here but function words occurs in the suite's captions
#: (tests/data/test_skills_rewrites.py)
PARAPHRASE_WORDS: dict[str, dict[Any, tuple[str, ...]]] = {
    **SHAPES_PARAPHRASE_WORDS,
    "plural": {
        "circle": ("balls", "orbs"),
        "square": ("tiles", "quadrates"),
        "triangle": ("pyramids", "trigons"),
        "diamond": ("kites", "rhombs"),
        "cross": ("crosshairs", "cruciforms"),
    },
    "count": {1: ("1", "a lone"), 2: ("2", "a pair of"), 3: ("3", "a trio of"), 4: ("4", "a quartet of")},
    "texture": {
        "solid": ("unpatterned", "flat"),
        "striped": ("pinstriped", "lined"),
        "dotted": ("freckled", "pockmarked"),
    },
    # v1's "higher than" would share "than" with the comparatives
    "relation": {**SHAPES_PARAPHRASE_WORDS["relation"], "above": ("north of", "northward of")},
    "depth": {"in front of": ("occluding", "overlapping"), "behind": ("occluded by", "eclipsed by")},
    "comparison": {"larger than": ("dwarfing", "outsizing"), "smaller than": ("dwarfed by", "outsized by")},
}
#: the table of each skill's relation slot {r}
RELATION_TABLE: dict[str, str] = {"relation": "relation", "occlusion": "depth", "comparative": "comparison"}
# slots of object k as in the grammar: {nk} count, {sk} size, {ck} colour, {ok} shape (plural above one),
# {tk} texture, {pk} grid position; {r} the relation of objects[0] to objects[1]
PARAPHRASE_TEMPLATES: dict[tuple[str, int], tuple[str, ...]] = {
    ("counting", 1): ("the picture shows {n1} {s1} {c1} {o1}", "we see {n1} {s1} {c1} {o1}"),
    ("counting", 2): (
        "the picture shows {n1} {s1} {c1} {o1} alongside {n2} {s2} {c2} {o2}",
        "we see {n1} {s1} {c1} {o1} as well as {n2} {s2} {c2} {o2}",
    ),
    ("binding", 2): (
        "the picture shows a {t1} {c1} {o1} alongside a {t2} {c2} {o2}",
        "we see one {c1} {o1}, {t1}, as well as one {c2} {o2}, {t2}",
    ),
    ("binding", 3): (
        "the picture shows a {t1} {c1} {o1}, a {t2} {c2} {o2} as well as a {t3} {c3} {o3}",
        "we see one {c1} {o1}, {t1}, one {c2} {o2}, {t2}, alongside one {c3} {o3}, {t3}",
    ),
    ("occlusion", 2): ("the picture shows a {c1} {o1} {r} a {c2} {o2}", "we see one {c1} {o1} {r} one {c2} {o2}"),
    ("comparative", 2): ("the picture shows a {c1} {o1} {r} the {c2} {o2}", "we see one {c1} {o1} {r} one {c2} {o2}"),
    ("position", 1): PARAPHRASE_ONE_OBJECT,
    ("relation", 2): PARAPHRASE_TWO_OBJECTS,
}
_SLOTS = {"s": "size", "c": "colour", "t": "texture", "p": "position"}


def paraphrase(record: dict[str, Any], rng: np.random.Generator) -> str:
    """The scene of `record` ({"skill", "objects", "relation"}) in the held-out templates and words.

    Example:
        >>> record = {"skill": "counting", "relation": None,
        ...           "objects": [{"count": 3, "shape": "circle", "colour": "red", "size": "small"}]}
        >>> paraphrase(record, np.random.default_rng(0))
        'the picture shows a trio of petite ruby balls'
    """
    words, skill, objects = PARAPHRASE_WORDS, record["skill"], record["objects"]
    values: dict[str, str] = {}
    for k, obj in enumerate(objects, start=1):
        count = obj.get("count", 1)
        if "count" in obj:
            values[f"n{k}"] = pick(rng, words["count"][count])
        for letter, key in _SLOTS.items():
            if key in obj:
                values[f"{letter}{k}"] = pick(rng, words[key][obj[key]])
        if "colour" in obj and rng.integers(2):
            values[f"c{k}"] += COLOURED
        values[f"o{k}"] = pick(rng, words["shape" if count == 1 else "plural"][obj["shape"]])
    if record["relation"] is not None:
        values["r"] = pick(rng, words[RELATION_TABLE[skill]][record["relation"]])
    return with_articles(pick(rng, PARAPHRASE_TEMPLATES[(skill, len(objects))]).format(**values))


def reordered(record: dict[str, Any]) -> dict[str, Any] | None:
    """The same scene with its named things in another order: objects reversed, a relation turned to its
    converse; None for a scene of one thing (position, one-group counting).

    Example:
        >>> a, b = {"shape": "circle"}, {"shape": "cross"}
        >>> reordered({"skill": "occlusion", "objects": [a, b], "relation": "behind"})["relation"]
        'in front of'
    """
    if len(record["objects"]) < 2:
        return None
    relation = record["relation"]
    return {
        "skill": record["skill"],
        "objects": record["objects"][::-1],
        "relation": None if relation is None else CONVERSE[relation],
    }


def _in_order(template: str) -> bool:
    """Whether `template` names object 1 before object 2 (what clause order must keep)."""
    return template.index("{o1}") < template.index("{o2}")


def clause_order(record: dict[str, Any], rng: np.random.Generator) -> str | None:
    """A caption of `reordered(record)` in the suite's grammar, from a template that names the objects
    in order; None for a scene of one thing.

    Example:
        >>> a = {"shape": "circle", "colour": "red"}
        >>> b = {"shape": "cross", "colour": "blue"}
        >>> clause_order({"skill": "comparative", "objects": [a, b], "relation": "larger than"},
        ...              np.random.default_rng(0))
        'one azure plus sign drawn smaller than one red circle'
    """
    other = reordered(record)
    if other is None:
        return None
    templates = tuple(filter(_in_order, TEMPLATES[(other["skill"], len(other["objects"]))]))
    return make_caption(other, rng, templates)


def rewrite(variant: str, caption: str, record: dict[str, Any], seed: int) -> str | None:
    """The `variant` rewrite of prompt `caption` with scene `record`, drawn from `seed`; None where the
    variant does not apply (clause_order of a scene of one thing).

    Example:
        >>> record = {"skill": "binding", "relation": None, "objects": [
        ...     {"shape": "circle", "colour": "red", "texture": "striped"},
        ...     {"shape": "square", "colour": "blue", "texture": "dotted"}]}
        >>> rewrite("clause_order", "a striped red circle and a dotted blue square", record, seed=0)
        'one dotted blue box beside one stripy red round dot'
    """
    return draw_rewrite(variant, caption, record, seed, "shapes-skills", paraphrase, clause_order)


__all__ = [
    "PARAPHRASE_TEMPLATES",
    "PARAPHRASE_WORDS",
    "VARIANTS",
    "VERSION",
    "clause_order",
    "paraphrase",
    "reordered",
    "rewrite",
]
