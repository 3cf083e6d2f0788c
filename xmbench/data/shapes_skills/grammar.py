"""Caption grammar of the shapes-skills suite: templates per skill with synonyms, and the exact inverse parser.

A scene record is {"skill": str, "objects": [...], "relation": str | None}. The keys of an object are
those its skill's captions state:

| skill | object keys | relation (of objects[0] to objects[1]) |
|---|---|---|
| counting | count, shape, colour, size (one or two groups) | None |
| binding | shape, colour, texture (two or three objects) | None |
| occlusion | shape, colour | "in front of" / "behind" |
| comparative | shape, colour | "larger than" / "smaller than" |
| position | shape, colour, size, position | None |
| relation | shape, colour, size | "left of" / "right of" / "above" / "below" |

Position and relation captions are those of `shapes` v1 (its templates, read back with the skill).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

from xmbench.data.phrases import pick, with_articles
from xmbench.data.shapes.grammar import ONE_OBJECT_TEMPLATES, TWO_OBJECT_TEMPLATES
from xmbench.data.shapes.vocabulary import COLOUR_WORDS, POSITION_WORDS, RELATION_WORDS, SHAPE_WORDS, SIZE_WORDS
from xmbench.data.shapes_skills.vocabulary import (
    COMPARISON_WORDS,
    COUNT_WORDS,
    DEPTH_WORDS,
    PLURAL_WORDS,
    TEXTURE_WORDS,
)
from xmbench.errors import InputError

# Slots of object k: {nk} count, {sk} size, {ck} colour, {ok} shape (plural when the count is above one),
# {tk} texture, {pk} grid position, {bk} "is" / "are" agreeing with the count; {r} the relation.
_COUNTING_ONE = (
    "{n1} {s1} {c1} {o1}",
    "there {b1} {n1} {s1} {c1} {o1}",
    "an image with {n1} {s1} {c1} {o1}",
    "exactly {n1} {s1} {c1} {o1}",
    "{n1} {s1} {o1} coloured {c1}",
)
_COUNTING_TWO = (
    "{n1} {s1} {c1} {o1} and {n2} {s2} {c2} {o2}",
    "there {b1} {n1} {s1} {c1} {o1} and {n2} {s2} {c2} {o2}",
    "an image with {n1} {s1} {c1} {o1} and {n2} {s2} {c2} {o2}",
    "{n2} {s2} {c2} {o2} next to {n1} {s1} {c1} {o1}",
    "exactly {n1} {s1} {c1} {o1} and exactly {n2} {s2} {c2} {o2}",
)
_BINDING_TWO = (
    "a {t1} {c1} {o1} and a {t2} {c2} {o2}",
    "there is a {t1} {c1} {o1} and a {t2} {c2} {o2}",
    "a {c1} {o1} that is {t1} and a {c2} {o2} that is {t2}",
    "one {t1} {c1} {o1} beside one {t2} {c2} {o2}",
    "a {t2} {c2} {o2} next to a {t1} {c1} {o1}",
)
_BINDING_THREE = (
    "a {t1} {c1} {o1}, a {t2} {c2} {o2} and a {t3} {c3} {o3}",
    "there is a {t1} {c1} {o1}, a {t2} {c2} {o2} and a {t3} {c3} {o3}",
    "a {c1} {o1} that is {t1}, a {c2} {o2} that is {t2} and a {c3} {o3} that is {t3}",
    "three shapes: a {t1} {c1} {o1}, a {t2} {c2} {o2} and a {t3} {c3} {o3}",
    "one {t1} {c1} {o1}, one {t2} {c2} {o2} and one {t3} {c3} {o3}",
)
_OCCLUSION = (
    "a {c1} {o1} {r} a {c2} {o2}",
    "there is a {c1} {o1} {r} a {c2} {o2}",
    "a {c1} {o1} is {r} a {c2} {o2}",
    "a {c2} {o2} and a {c1} {o1} {r} it",
    "one {c1} {o1} {r} one {c2} {o2}",
)
_COMPARATIVE = (
    "a {c1} {o1} {r} the {c2} {o2}",
    "a {c1} {o1} that is {r} the {c2} {o2}",
    "there is a {c1} {o1} {r} a {c2} {o2}",
    "a {c2} {o2} and a {c1} {o1} {r} it",
    "one {c1} {o1} drawn {r} one {c2} {o2}",
)
#: (skill, number of objects) -> templates
TEMPLATES: dict[tuple[str, int], tuple[str, ...]] = {
    ("counting", 1): _COUNTING_ONE,
    ("counting", 2): _COUNTING_TWO,
    ("binding", 2): _BINDING_TWO,
    ("binding", 3): _BINDING_THREE,
    ("occlusion", 2): _OCCLUSION,
    ("comparative", 2): _COMPARATIVE,
    ("position", 1): ONE_OBJECT_TEMPLATES,
    ("relation", 2): TWO_OBJECT_TEMPLATES,
}
#: the words of each skill's relation slot
RELATION_SLOT_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "relation": RELATION_WORDS,
    "occlusion": DEPTH_WORDS,
    "comparative": COMPARISON_WORDS,
}
_OBJECT_SLOTS: dict[str, tuple[str, dict[Any, tuple[str, ...]]]] = {
    "n": ("count", COUNT_WORDS),
    "s": ("size", SIZE_WORDS),
    "c": ("colour", COLOUR_WORDS),
    "t": ("texture", TEXTURE_WORDS),
    "p": ("position", POSITION_WORDS),
}
_KEY_ORDER = ("count", "shape", "colour", "size", "texture", "position")


def make_caption(record: dict[str, Any], rng: np.random.Generator, templates: tuple[str, ...] | None = None) -> str:
    """Render a scene record into a caption, choosing a template and synonyms with `rng`.

    Args:
        record: {"skill", "objects", "relation"} (see the module docstring).
        rng: the generator that picks template and words.
        templates: the templates to pick from (default: all of the record's skill and object count,
            `TEMPLATES`); each must be one of those.

    Returns:
        The caption.

    Example:
        >>> record = {"skill": "counting", "relation": None,
        ...           "objects": [{"count": 3, "shape": "circle", "colour": "red", "size": "small"}]}
        >>> caption = make_caption(record, np.random.default_rng(0))
        >>> parse_caption(caption) == record
        True
    """
    objects = record["objects"]
    template = pick(rng, templates or TEMPLATES[(record["skill"], len(objects))])
    values: dict[str, str] = {}
    for k, obj in enumerate(objects, start=1):
        count = obj.get("count", 1)
        values[f"b{k}"] = "is" if count == 1 else "are"
        for letter, (key, words) in _OBJECT_SLOTS.items():
            if key in obj:
                values[f"{letter}{k}"] = pick(rng, words[obj[key]])
        values[f"o{k}"] = pick(rng, (SHAPE_WORDS if count == 1 else PLURAL_WORDS)[obj["shape"]])
    if record["relation"] is not None:
        values["r"] = pick(rng, RELATION_SLOT_WORDS[record["skill"]][record["relation"]])
    return with_articles(template.format(**values))


def _alternation(words: dict[Any, tuple[str, ...]]) -> str:
    options = sorted((w for ws in words.values() for w in ws), key=len, reverse=True)
    return "|".join(re.escape(o) for o in options)


def _slot_words(skill: str, slot: str) -> dict[Any, tuple[str, ...]]:
    letter = slot[0]
    if letter == "o":
        return {k: v + PLURAL_WORDS[k] for k, v in SHAPE_WORDS.items()} if skill == "counting" else SHAPE_WORDS
    if letter == "r":
        return RELATION_SLOT_WORDS[skill]
    if letter == "b":
        return {"is": ("is",), "are": ("are",)}
    return _OBJECT_SLOTS[letter][1]


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[re.Pattern[str], str, int]]:
    compiled = []
    for (skill, n_objects), templates in TEMPLATES.items():
        for template in templates:
            pattern = re.escape(re.sub(r"\ban\b", "a", template))
            for slot in re.findall(r"\{(\w+)\}", template):
                alt = _alternation(_slot_words(skill, slot))
                pattern = pattern.replace(re.escape("{" + slot + "}"), f"(?P<{slot}>{alt})")
            compiled.append((re.compile(pattern), skill, n_objects))
    return compiled


def _canonical(words: dict[Any, tuple[str, ...]], word: str) -> Any:
    return next(k for k, ws in words.items() if word in ws)


def _parsed_object(skill: str, groups: dict[str, str | None], k: int) -> dict[str, Any]:
    found = {
        key: _canonical(words, groups[f"{letter}{k}"])
        for letter, (key, words) in _OBJECT_SLOTS.items()
        if groups.get(f"{letter}{k}") is not None
    }
    found["shape"] = _canonical(_slot_words(skill, "o"), groups[f"o{k}"])
    return {key: found[key] for key in _KEY_ORDER if key in found}


def parse_caption(caption: str) -> dict[str, Any]:
    """Invert `make_caption`: the scene record {"skill", "objects", "relation"} a grammar caption describes.

    Args:
        caption: a caption of the shapes-skills grammar.

    Returns:
        The scene record (without geometry).

    Raises:
        InputError: the caption is not in the grammar.

    Example:
        >>> parse_caption("a striped red circle and a dotted blue square")["objects"][1]
        {'shape': 'square', 'colour': 'blue', 'texture': 'dotted'}
        >>> parse_caption("an orange box partly behind a violet disk")["relation"]
        'behind'
    """
    text = re.sub(r"\ban\b", "a", caption)
    for pattern, skill, n_objects in _compiled():
        m = pattern.fullmatch(text)
        if not m:
            continue
        groups = m.groupdict()
        objects = [_parsed_object(skill, groups, k) for k in range(1, n_objects + 1)]
        relation = _canonical(RELATION_SLOT_WORDS[skill], groups["r"]) if groups.get("r") else None
        return {"skill": skill, "objects": objects, "relation": relation}
    raise InputError(
        f"caption {caption!r} is not in the shapes-skills grammar; see xmbench/data/shapes_skills/grammar.py"
    )
