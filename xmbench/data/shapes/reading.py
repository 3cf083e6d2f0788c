"""A tolerant reader of shapes captions: what a generated caption claims about the scene.

`parse_caption` in grammar.py inverts the grammar's ten templates exactly. A captioner may say the
same thing in other words: "a red large circle", "a circle that is red and large at the top left",
"two blue squares". `read_caption` reads any such caption by its vocabulary, not its template:

1. Lower-case, turn punctuation and hyphens into spaces, read "an" as "a".
2. Cut the words into vocabulary phrases, longest first: sizes, colours and shapes (with their
   synonyms and plurals), grid positions, relations, count words ("a", "one", "two", ...) and
   "it". Colour and shape words outside the suite's vocabulary ("grey", "star") are kept as claims
   the scene cannot hold; "shape" / "object" name an object without a shape. Other words are ignored
   and listed.
3. A shape word (or "shape") makes an object. Sizes and colours before it are its own; after it they
   are its own too ("a circle that is red", "a circle, large,") until one repeats a kind it already
   has, which starts the next object. A count word after an object starts the next one; "two" with a
   plural repeats the object. A position belongs to the object being described (or the next one, if
   it comes first). A relation links the object before it with the object after it, or with the
   earlier object when followed by "it".
4. The objects are ordered so that a relation reads "objects[0] <relation> objects[1]", the form of
   the suite's records; a grammar caption reads back exactly as `parse_caption` reads it.

A caption is unreadable when it names no object, leaves a size or colour without an object, gives a
relation without an object on both sides, or holds more than one relation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from xmbench.data.phrases import (
    Unit,
    UnitReader,
    build_lexicon,
    ignored_words,
    noun_follows,
    split_units,
)
from xmbench.data.shapes.vocabulary import (
    COLOUR_WORDS,
    POSITION_WORDS,
    RELATION_WORDS,
    SHAPE_WORDS,
    SIZE_WORDS,
)

#: colour and shape words outside the suite's vocabulary: read as claims no scene holds
OTHER_COLOURS: tuple[str, ...] = ("black", "white", "grey", "gray", "pink", "brown", "cyan", "teal")
OTHER_SHAPES: tuple[str, ...] = ("rectangle", "oval", "star", "hexagon", "pentagon", "heart", "ellipse", "ring")
#: nouns that name an object without naming its shape
GENERIC_NOUNS: tuple[str, ...] = ("shape", "object", "thing", "figure", "item")
COUNT_WORDS: dict[str, int] = {"a": 1, "one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5}
#: extra readings beyond the grammar's synonyms
EXTRA_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "shape": {"circle": ("dot",), "square": ("cube",)},
    "position": {"centre": ("center of the image", "centre of the image", "middle of the image")},
    "relation": {"above": ("atop",), "below": ("underneath",)},
}
INVERSE_RELATION: dict[str, str] = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}


@dataclass
class ReadObject:
    """One object a caption names: attribute -> value (None for "shape" when only "shape"/"object")."""

    shape: str | None = None
    colour: str | None = None
    size: str | None = None
    position: str | None = None
    count: int = 1
    has_noun: bool = False

    def claims(self) -> dict[str, str]:
        """The attributes the caption states for this object."""
        return {k: v for k, v in (("shape", self.shape), ("colour", self.colour), ("size", self.size)) if v}


@dataclass
class Reading:
    """What a caption says: objects (in record order), the relation of objects[0] to objects[1] (or None).

    `error` is None when the caption was read; otherwise it says why not (objects are then empty).
    `ignored` lists the words outside the vocabulary.
    """

    objects: list[dict[str, str]] = field(default_factory=list)
    relation: str | None = None
    error: str | None = None
    ignored: list[str] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.error is None

    def record(self) -> dict[str, Any]:
        """The reading in the suite's record form {"objects", "relation"}."""
        return {"objects": [dict(o) for o in self.objects], "relation": self.relation}


def _plural(word: str) -> tuple[str, ...]:
    last = word.split()[-1]
    stem = word[: -len(last)]
    if last == "rhombus":
        return (f"{stem}rhombuses", f"{stem}rhombi")
    if last.endswith(("s", "x")):
        return (f"{stem}{last}es",)
    return (f"{stem}{last}s",)


def _with_extras(kind: str, words: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    extras = EXTRA_WORDS.get(kind, {})
    return {value: synonyms + extras.get(value, ()) for value, synonyms in words.items()}


@lru_cache(maxsize=1)
def _lexicon() -> dict[tuple[str, ...], tuple[str, Any]]:
    """Phrase (tuple of words) -> (kind, value). Kinds: size, colour, shape, shapes (plural), position,
    relation, count, it."""
    shapes = {
        **_with_extras("shape", SHAPE_WORDS),
        **{w: (w,) for w in OTHER_SHAPES},
        **{None: GENERIC_NOUNS},
    }
    tables = {
        "size": _with_extras("size", SIZE_WORDS),
        "colour": {**COLOUR_WORDS, **{w: (w,) for w in OTHER_COLOURS}},
        "position": _with_extras("position", POSITION_WORDS),
        "relation": _with_extras("relation", RELATION_WORDS),
        "shape": shapes,
        "shapes": {value: tuple(p for w in synonyms for p in _plural(w)) for value, synonyms in shapes.items()},
        "count": {n: tuple(w for w, k in COUNT_WORDS.items() if k == n) for n in set(COUNT_WORDS.values())},
        "it": {None: ("it",)},
    }
    return build_lexicon(tables)


class _Reader(UnitReader):
    """The left-to-right pass of step 3 (module docstring)."""

    def __init__(self) -> None:
        self.objects: list[ReadObject] = []
        self.current = ReadObject()
        self.relations: list[tuple[int, str, bool]] = []  # (objects before it, relation, followed by "it")
        self.error: str | None = None

    def close(self) -> None:
        if self.current.has_noun:
            self.objects.append(self.current)
            self.current = ReadObject()

    def attribute(self, kind: str, value: str, prenominal: bool) -> None:
        if prenominal:
            self.close()
        held = getattr(self.current, kind)
        if held not in (None, value):
            self.error = f"two {kind}s ({held}, {value}) for one object"
        setattr(self.current, kind, value)

    def noun(self, value: str | None, plural: bool) -> None:
        self.close()
        self.current.shape, self.current.has_noun = value, True
        if plural and self.current.count == 1:
            self.current.count = 2

    def count(self, n: int) -> None:
        self.close()
        self.current.count = n

    def position(self, value: str) -> None:
        blank = not (self.current.has_noun or self.current.claims())
        target = self.objects[-1] if blank and self.objects and not self.relations else self.current
        target.position = value

    def relation(self, value: str) -> None:
        self.close()
        self.relations.append((len(self.objects), value, False))

    def pronoun(self) -> None:
        if self.relations and self.relations[-1][0] == len(self.objects) and not self.current.has_noun:
            before, value, _ = self.relations[-1]
            self.relations[-1] = (before, value, True)

    def feed(self, units: list[Unit], i: int) -> None:
        kind, value = units[i]
        if kind in ("size", "colour"):
            self.attribute(kind, value, self.current.has_noun and noun_follows(units, i, ("size", "colour")))
        elif kind in ("shape", "shapes"):
            self.noun(value, kind == "shapes")
        elif kind == "count":
            self.count(value)
        elif kind == "position":
            self.position(value)
        elif kind == "relation":
            self.relation(value)
        else:
            self.pronoun()


def _expand(objects: list[ReadObject]) -> tuple[list[dict[str, str]], list[int]]:
    """Objects as claim dicts (a count of k repeats the object k times) and each read object's first slot."""
    out, first = [], []
    for o in objects:
        first.append(len(out))
        claims = o.claims() | ({"position": o.position} if o.position else {})
        out += [dict(claims) for _ in range(max(1, o.count))]
    return out, first


def _problem(reader: _Reader) -> str | None:
    if reader.error is not None:
        return reader.error
    if reader.current.claims() or reader.current.position:
        return f"{', '.join(sorted(reader.current.claims())) or 'position'} names no object"
    if not reader.objects:
        return "names no object"
    if len(reader.relations) > 1:
        return f"holds {len(reader.relations)} relations"
    if reader.relations:
        before, relation, to_earlier = reader.relations[0]
        if to_earlier and before < 2:
            return f"relation {relation!r} has nothing for 'it' to name"
        if not to_earlier and not 0 < before < len(reader.objects):
            return f"relation {relation!r} lacks an object on one side"
    return None


def _finish(reader: _Reader, ignored: list[str]) -> Reading:
    reader.close()
    problem = _problem(reader)
    if problem is not None:
        return Reading(error=problem, ignored=ignored)
    objects, first = _expand(reader.objects)
    if not reader.relations:
        return Reading(objects=objects, ignored=ignored)
    before, relation, to_earlier = reader.relations[0]
    left, right = (first[before - 1], first[before - 2]) if to_earlier else (first[before - 1], first[before])
    order = [left, right] + [k for k in range(len(objects)) if k not in (left, right)]
    return Reading(objects=[objects[k] for k in order], relation=relation, ignored=ignored)


def read_caption(caption: str) -> Reading:
    """Read what `caption` claims: objects with their stated attributes and the relation between them.

    Args:
        caption: any text.

    Returns:
        A Reading; `reading.error` says why a caption could not be read (never raises).

    Example:
        >>> read_caption("a circle that is red and large at the top left").record()
        {'objects': [{'shape': 'circle', 'colour': 'red', 'size': 'large', 'position': 'top left'}], 'relation': None}
        >>> read_caption("a blue box and a small red disk to the left of it").record()["relation"]
        'left of'
        >>> read_caption("a photo of a cat").error
        'names no object'
    """
    reader = _Reader()
    units = split_units(caption, _lexicon())
    ignored = ignored_words(units)
    reader.read(units)
    return _finish(reader, ignored)
