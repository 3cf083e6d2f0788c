"""Caption grammar of the shapes suite: templates with synonyms, and the inverse parser.

A scene record is {"objects": [{"shape", "colour", "size", "position"?}, ...], "relation": str|None}.
One-object captions name shape, colour, size and grid position; two-object captions name shape,
colour and size of both objects and the relation of the first object (objects[0]) to the second.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

from xmbench.data.phrases import pick, with_articles
from xmbench.data.shapes.vocabulary import (
    COLOUR_WORDS,
    POSITION_WORDS,
    RELATION_WORDS,
    SHAPE_WORDS,
    SIZE_WORDS,
)
from xmbench.errors import InputError

# Slots: {s1} {c1} {o1} size, colour, shape of objects[0]; {p1} its position; {r} relation;
# {s2} {c2} {o2} the second object.
ONE_OBJECT_TEMPLATES: tuple[str, ...] = (
    "a {s1} {c1} {o1} in the {p1}",
    "there is one {s1} {c1} {o1} at the {p1}",
    "in the {p1} there is a {s1} {c1} {o1}",
    "a {c1} {o1}, {s1}, placed in the {p1}",
    "one {s1} {c1} {o1} sits at the {p1}",
)
TWO_OBJECT_TEMPLATES: tuple[str, ...] = (
    "a {s1} {c1} {o1} {r} a {s2} {c2} {o2}",
    "there is a {s1} {c1} {o1} {r} a {s2} {c2} {o2}",
    "a {s1} {c1} {o1} is {r} a {s2} {c2} {o2}",
    "a {s2} {c2} {o2} and a {s1} {c1} {o1} {r} it",
    "one {s1} {c1} {o1} placed {r} one {s2} {c2} {o2}",
)

_SLOT_WORDS = {"s": SIZE_WORDS, "c": COLOUR_WORDS, "o": SHAPE_WORDS, "p": POSITION_WORDS, "r": RELATION_WORDS}
_OBJECT_KEYS = {"s": "size", "c": "colour", "o": "shape", "p": "position"}


def make_caption(record: dict[str, Any], rng: np.random.Generator) -> str:
    """Render a scene record into a caption, choosing a template and synonyms with `rng`."""
    objects = record["objects"]
    templates = ONE_OBJECT_TEMPLATES if len(objects) == 1 else TWO_OBJECT_TEMPLATES
    template = pick(rng, templates)
    values: dict[str, str] = {}
    for k, obj in enumerate(objects, start=1):
        values[f"s{k}"] = pick(rng, SIZE_WORDS[obj["size"]])
        values[f"c{k}"] = pick(rng, COLOUR_WORDS[obj["colour"]])
        values[f"o{k}"] = pick(rng, SHAPE_WORDS[obj["shape"]])
        if "position" in obj:
            values[f"p{k}"] = pick(rng, POSITION_WORDS[obj["position"]])
    if record.get("relation"):
        values["r"] = pick(rng, RELATION_WORDS[record["relation"]])
    return with_articles(template.format(**values))


def _alternation(words: dict[str, tuple[str, ...]]) -> str:
    options = sorted((w for ws in words.values() for w in ws), key=len, reverse=True)
    return "|".join(re.escape(o) for o in options)


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[re.Pattern[str], int]]:
    compiled = []
    for n_objects, templates in ((1, ONE_OBJECT_TEMPLATES), (2, TWO_OBJECT_TEMPLATES)):
        for template in templates:
            pattern = re.escape(template)
            for slot in re.findall(r"\{(\w+)\}", template):
                alt = _alternation(_SLOT_WORDS[slot[0]])
                pattern = pattern.replace(re.escape("{" + slot + "}"), f"(?P<{slot}>{alt})")
            compiled.append((re.compile(pattern), n_objects))
    return compiled


def _canonical(words: dict[str, tuple[str, ...]], word: str) -> str:
    return next(k for k, ws in words.items() if word in ws)


def parse_caption(caption: str) -> dict[str, Any]:
    """Invert `make_caption`: the scene record {"objects", "relation"} a caption describes."""
    text = re.sub(r"\ban\b", "a", caption)
    for pattern, n_objects in _compiled():
        m = pattern.fullmatch(text)
        if not m:
            continue
        objects = []
        for k in range(1, n_objects + 1):
            obj = {}
            for letter, key in _OBJECT_KEYS.items():
                word = m.groupdict().get(f"{letter}{k}")
                if word is not None:
                    obj[key] = _canonical(_SLOT_WORDS[letter], word)
            objects.append(obj)
        relation = _canonical(RELATION_WORDS, m["r"]) if n_objects == 2 else None
        return {"objects": objects, "relation": relation}
    raise InputError(f"caption {caption!r} is not in the shapes grammar; see xmbench/data/shapes/grammar.py")
