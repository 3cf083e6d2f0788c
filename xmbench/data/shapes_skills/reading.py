"""A tolerant reader of shapes-skills captions: what a generated caption claims about the scene.

`parse_caption` in grammar.py inverts the grammar's templates exactly; a captioner may word the same
scene otherwise ("3 red circles", "a red striped circle", "a circle that is dotted and blue", "a blue
square with a red circle behind it"). `read_caption` reads by vocabulary, as `shapes`' reader does
(`xmbench.data.shapes.reading`), with the skills' words added:

1. Lower-case, punctuation and hyphens to spaces, "an" read as "a".
2. Cut the words into vocabulary phrases, longest first: sizes, colours, textures, shapes (singular and
   plural), counts ("a", "one" ... "four", digits), grid positions, relations of three kinds (spatial,
   depth, size comparison) and "it". Colour and shape words outside the vocabulary are kept as claims
   no scene holds; "shape" / "object" name an object without a shape, their plurals nothing ("three
   shapes: ..."). Other words are ignored and listed.
3. A shape word makes an object. Sizes, colours and textures before it are its own; after it they are
   its own too ("a circle that is red") until one repeats a kind it already has or a shape word follows
   them. A count word starts the next object and gives its count; a plural without one counts two. A
   position belongs to the object being described. A relation links the object before it with the one
   after it, or with the earlier one when followed by "it".
4. The objects are ordered so that a relation reads "objects[0] <relation> objects[1]".

A caption is unreadable when it names no object, leaves an attribute without an object, gives a
relation without an object on both sides, or holds more than one relation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from xmbench.data.phrases import (
    FILLER_WORDS,
    Unit,
    UnitReader,
    build_lexicon,
    ignored_words,
    noun_follows,
    split_units,
)
from xmbench.data.shapes.reading import EXTRA_WORDS, GENERIC_NOUNS, OTHER_COLOURS, OTHER_SHAPES
from xmbench.data.shapes.vocabulary import COLOUR_WORDS, POSITION_WORDS, RELATION_WORDS, SHAPE_WORDS, SIZE_WORDS
from xmbench.data.shapes_skills.vocabulary import (
    COMPARISON_WORDS,
    DEPTH_WORDS,
    PLURAL_WORDS,
    TEXTURE_WORDS,
)

#: relation kind of each relation table: the skill that states it
RELATION_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "relation": {k: v + EXTRA_WORDS["relation"].get(k, ()) for k, v in RELATION_WORDS.items()},
    "occlusion": DEPTH_WORDS,
    "comparative": COMPARISON_WORDS,
}
#: count words beyond the grammar's
COUNT_READINGS: dict[int, tuple[str, ...]] = {
    1: ("a", "one", "a single", "single", "1"),
    2: ("two", "2", "a pair of", "pair of"),
    3: ("three", "3"),
    4: ("four", "4"),
    5: ("five", "5"),
}
#: texture phrases beyond the grammar's adjectives
TEXTURE_READINGS: dict[str, tuple[str, ...]] = {
    "solid": TEXTURE_WORDS["solid"],
    "striped": (*TEXTURE_WORDS["striped"], "with stripes"),
    "dotted": (*TEXTURE_WORDS["dotted"], "with dots", "with spots", "polka dot"),
}
_ATTRIBUTES = ("size", "colour", "texture")
_FILLER = FILLER_WORDS | frozenset(("exactly", "all", "coloured", "colored", "drawn", "next", "beside"))


@dataclass
class Reading:
    """What a caption says: objects (claims with a "count"), in relation order; the relation of objects[0]
    to objects[1] and its kind ("relation", "occlusion" or "comparative"), or None.

    `error` is None when the caption was read; otherwise it says why not (objects are then empty).
    `ignored` lists the words outside the vocabulary.
    """

    objects: list[dict[str, Any]] = field(default_factory=list)
    relation: str | None = None
    kind: str | None = None
    error: str | None = None
    ignored: list[str] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.error is None


def _plural_of_other(word: str) -> str:
    return f"{word}es" if word.endswith(("s", "x")) else f"{word}s"


@lru_cache(maxsize=1)
def _lexicon() -> dict[tuple[str, ...], tuple[str, Any]]:
    """Phrase (tuple of words) -> (kind, value)."""
    singular = {k: v + EXTRA_WORDS["shape"].get(k, ()) for k, v in SHAPE_WORDS.items()}
    relations = {(kind, value): phrases for kind, table in RELATION_KINDS.items() for value, phrases in table.items()}
    tables: dict[str, dict[Any, tuple[str, ...]]] = {
        "relation": relations,
        "size": SIZE_WORDS,
        "colour": {**COLOUR_WORDS, **{w: (w,) for w in OTHER_COLOURS}},
        "texture": TEXTURE_READINGS,
        "shape": {**singular, **{w: (w,) for w in OTHER_SHAPES}, None: GENERIC_NOUNS},
        "shapes": {**PLURAL_WORDS, **{w: (_plural_of_other(w),) for w in OTHER_SHAPES}},
        "count": COUNT_READINGS,
        "position": {k: v + EXTRA_WORDS["position"].get(k, ()) for k, v in POSITION_WORDS.items()},
        "it": {None: ("it",)},
        "nothing": {None: tuple(f"{w}s" for w in GENERIC_NOUNS)},
    }
    return build_lexicon(tables)


class _Reader(UnitReader):
    """The left-to-right pass of step 3 (module docstring)."""

    def __init__(self) -> None:
        self.objects: list[dict[str, Any]] = []
        self.current: dict[str, Any] = {}
        self.relations: list[tuple[int, tuple[str, str], bool]] = []  # (objects before, (kind, value), "it")
        self.error: str | None = None

    def close(self) -> None:
        if "noun" in self.current:
            self.objects.append(self.current)
            self.current = {}

    def attribute(self, kind: str, value: str, prenominal: bool) -> None:
        if prenominal or kind in self.current and "noun" in self.current:
            self.close()
        if self.current.get(kind, value) != value:
            self.error = f"two {kind}s ({self.current[kind]}, {value}) for one object"
        self.current[kind] = value

    def noun(self, value: str | None, plural: bool) -> None:
        self.close()
        self.current["noun"] = value
        self.current.setdefault("count", 2 if plural else 1)

    def count(self, n: int) -> None:
        self.close()
        self.current["count"] = n

    def position(self, value: str) -> None:
        blank = not (set(self.current) - {"count"})
        target = self.objects[-1] if blank and self.objects and not self.relations else self.current
        target["position"] = value

    def relation(self, value: tuple[str, str]) -> None:
        self.close()
        self.relations.append((len(self.objects), value, False))

    def pronoun(self) -> None:
        if self.relations and self.relations[-1][0] == len(self.objects) and "noun" not in self.current:
            before, value, _ = self.relations[-1]
            self.relations[-1] = (before, value, True)

    def feed(self, units: list[Unit], i: int) -> None:
        kind, value = units[i]
        if kind in _ATTRIBUTES:
            self.attribute(kind, value, "noun" in self.current and noun_follows(units, i, _ATTRIBUTES))
        elif kind in ("shape", "shapes"):
            self.noun(value, kind == "shapes")
        elif kind == "count":
            self.count(value)
        elif kind == "position":
            self.position(value)
        elif kind == "relation":
            self.relation(value)
        elif kind == "it":
            self.pronoun()


def _problem(reader: _Reader) -> str | None:
    if reader.error is not None:
        return reader.error
    if set(reader.current) - {"count"}:
        return f"{', '.join(sorted(set(reader.current) - {'count'}))} names no object"
    if not reader.objects:
        return "names no object"
    if len(reader.relations) > 1:
        return f"holds {len(reader.relations)} relations"
    if reader.relations:
        before, (_, relation), to_earlier = reader.relations[0]
        if to_earlier and before < 2:
            return f"relation {relation!r} has nothing for 'it' to name"
        if not to_earlier and not 0 < before < len(reader.objects):
            return f"relation {relation!r} lacks an object on one side"
    return None


def _claims(obj: dict[str, Any]) -> dict[str, Any]:
    out = {"count": obj["count"]}
    if obj["noun"] is not None:
        out["shape"] = obj["noun"]
    return out | {k: obj[k] for k in (*_ATTRIBUTES, "position") if k in obj}


def read_caption(caption: str) -> Reading:
    """Read what `caption` claims: objects with their counts and stated attributes, and the relation.

    Args:
        caption: any text.

    Returns:
        A Reading; `reading.error` says why a caption could not be read (never raises).

    Example:
        >>> read_caption("3 striped red circles").objects
        [{'count': 3, 'shape': 'circle', 'colour': 'red', 'texture': 'striped'}]
        >>> r = read_caption("a blue square with a red circle behind it")
        >>> [o["shape"] for o in r.objects], r.relation, r.kind
        (['circle', 'square'], 'behind', 'occlusion')
        >>> read_caption("a photo of a cat").error
        'names no object'
    """
    reader = _Reader()
    units = split_units(caption, _lexicon())
    ignored = ignored_words(units, _FILLER)
    reader.read(units)
    reader.close()
    problem = _problem(reader)
    if problem is not None:
        return Reading(error=problem, ignored=ignored)
    objects = [_claims(o) for o in reader.objects]
    if not reader.relations:
        return Reading(objects=objects, ignored=ignored)
    before, (kind, relation), to_earlier = reader.relations[0]
    left, right = (before - 1, before - 2) if to_earlier else (before - 1, before)
    order = [left, right] + [k for k in range(len(objects)) if k not in (left, right)]
    return Reading(objects=[objects[k] for k in order], relation=relation, kind=kind, ignored=ignored)
