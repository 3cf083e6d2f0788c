"""The tolerant reader of shapes captions."""

import pytest

from xmbench.data.shapes import ShapesSuite
from xmbench.data.shapes.grammar import parse_caption
from xmbench.data.shapes.reading import read_caption


def test_every_grammar_caption_reads_as_the_exact_parser_reads_it():
    s = ShapesSuite()
    captions = s.captions("train", range(1500)) + [c for r in s.references("compositional", range(300)) for c in r]
    for c in captions:
        reading = read_caption(c)
        assert reading.readable and reading.ignored == [], c
        assert reading.record() == parse_caption(c), c


RED_LARGE_CIRCLE = {"shape": "circle", "colour": "red", "size": "large"}


@pytest.mark.parametrize(
    "caption, objects, relation",
    [
        ("a red large circle", [RED_LARGE_CIRCLE], None),
        ("A circle that is red and large, at the top-left.", [{**RED_LARGE_CIRCLE, "position": "top left"}], None),
        ("in the center there is a huge crimson disk", [{**RED_LARGE_CIRCLE, "position": "centre"}], None),
        ("two blue squares", [{"shape": "square", "colour": "blue"}] * 2, None),
        ("a large red circle and large blue box",
         [RED_LARGE_CIRCLE, {"shape": "square", "colour": "blue", "size": "large"}], None),
        ("a grey star", [{"shape": "star", "colour": "grey"}], None),
        ("a red shape above a square", [{"colour": "red"}, {"shape": "square"}], "above"),
        # "B and A <relation> it": A is the relation's subject, so it comes first
        ("a blue box and a small red disk to the left of it",
         [{"shape": "circle", "colour": "red", "size": "small"}, {"shape": "square", "colour": "blue"}], "left of"),
        ("the triangle on top of the cross", [{"shape": "triangle"}, {"shape": "cross"}], "above"),
        ("three rhombi", [{"shape": "diamond"}] * 3, None),
    ],
)  # fmt: skip
def test_word_order_variants(caption, objects, relation):
    reading = read_caption(caption)
    assert reading.readable, reading.error
    assert reading.objects == objects and reading.relation == relation


@pytest.mark.parametrize(
    "caption, error",
    [
        ("", "names no object"),
        ("a photo of a cat", "names no object"),
        ("a red and blue circle", "two colours (red, blue) for one object"),
        ("a red circle above", "relation 'above' lacks an object on one side"),
        ("a circle left of a square above a cross", "holds 2 relations"),
        ("a circle and a red", "colour names no object"),
        ("left of it a circle", "relation 'left of' has nothing for 'it' to name"),
    ],
)
def test_unreadable_captions_say_why(caption, error):
    reading = read_caption(caption)
    assert not reading.readable and reading.error == error and reading.objects == []


def test_unknown_words_are_listed_not_fatal():
    reading = read_caption("a fluffy red circle near nothing")
    assert reading.readable and reading.ignored == ["fluffy", "near", "nothing"]
    assert reading.objects == [{"shape": "circle", "colour": "red"}]
