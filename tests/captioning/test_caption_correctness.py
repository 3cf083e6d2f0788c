"""Exact correctness of captions against shapes scene records: closed-form cases."""

import pytest

from xmbench.data.shapes import ShapesSuite
from xmbench.errors import InputError
from xmbench.metrics.captioning.correctness import (
    correctness_scores,
    correctness_values,
    judge_caption,
    judge_captions,
)

ONE = {"objects": [{"shape": "circle", "colour": "red", "size": "large", "position": "top left"}], "relation": None}
TWO = {
    "objects": [
        {"shape": "square", "colour": "blue", "size": "small"},
        {"shape": "triangle", "colour": "green", "size": "large"},
    ],
    "relation": "left of",
}


def test_the_suites_own_captions_and_references_are_all_correct():
    s = ShapesSuite()
    idx = range(300)
    records = s.records("test", idx)
    captions = s.captions("test", idx) + [r[2] for r in s.references("test", idx)]
    scores = correctness_scores(judge_captions(captions, records + records))
    assert all(v == 1.0 for k, v in scores.items() if k != "caption_hallucination"), scores
    assert scores["caption_hallucination"] == 0.0


@pytest.mark.parametrize(
    "caption, record, wrong, hallucinated, claims",
    [
        ("a large red circle in the top left corner", ONE, set(), 0, 5),
        ("a circle that is red and big at the upper left", ONE, set(), 0, 5),
        ("a large red circle", ONE, {"position"}, 0, 4),
        ("a large blue circle in the top left", ONE, {"colour"}, 1, 5),
        ("a small red square at the bottom", ONE, {"size", "shape", "position"}, 3, 5),
        # an extra object: count wrong; it and its two claims are hallucinated, and so is the relation
        ("a large red circle above a blue cross", ONE, {"count", "position"}, 4, 8),
        ("a small blue square to the left of a large green triangle", TWO, set(), 0, 9),
        # the same scene told from the other object: still right
        ("a big green triangle right of a tiny blue box", TWO, set(), 0, 9),
        ("a large green triangle and a small blue square on the left of it", TWO, set(), 0, 9),
        # wrong relation only
        ("a small blue square to the right of a large green triangle", TWO, {"relation"}, 1, 9),
        # colours swapped between the objects: two accuracy errors, no hallucination (both colours are there)
        ("a small green square to the left of a large blue triangle", TWO, {"colour"}, 0, 9),
        # one object left out: count, its attributes, and the relation
        ("a small blue square", TWO, {"count", "shape", "colour", "size", "relation"}, 0, 4),
        # a colour the scene lacks
        ("a small blue square to the left of a large purple triangle", TWO, {"colour"}, 1, 9),
    ],
)
def test_judgements(caption, record, wrong, hallucinated, claims):
    j = judge_caption(caption, record)
    assert j["readable"]
    got_wrong = {k for k, v in j["judgements"].items() if not all(v)}
    assert got_wrong == wrong, j["reason"]
    assert (j["hallucinated"], j["claims"]) == (hallucinated, claims)
    assert j["correct"] == (not wrong and not hallucinated)
    assert (j["reason"] == "correct") == j["correct"]


def test_reasons_name_the_object_and_the_claim():
    j = judge_caption("a small blue square to the left of a large purple triangle", TWO)
    assert j["reason"] == "colour of the large green triangle: caption says purple"
    j = judge_caption("a small blue square", TWO)
    assert j["reason"].startswith("names 1 object(s), the image holds 2; the large green triangle is not described")


def test_unreadable_captions_are_wrong_everywhere_and_claim_nothing():
    j = judge_caption("", TWO)
    assert not j["readable"] and not j["correct"] and j["reason"] == "unreadable: names no object"
    assert j["judgements"] == {"count": [False], "shape": [False] * 2, "colour": [False] * 2,
                               "size": [False] * 2, "relation": [False]}  # fmt: skip
    assert (j["hallucinated"], j["claims"]) == (0, 0)


def test_scores_are_ratios_over_all_judgements():
    captions = [
        "a large red circle in the top left",  # all right: 5 claims
        "a large blue circle in the top left",  # colour wrong, 1 of 5 claims hallucinated
        "a photo",  # unreadable
        "a small blue square to the right of a large green triangle",  # relation wrong: 1 of 9
    ]
    s = correctness_scores(judge_captions(captions, [ONE, ONE, ONE, TWO]))
    assert s["caption_correctness"] == 0.25
    assert s["caption_parse_rate"] == 0.75
    # colour judgements: ONE x3 (1 right) + TWO's two objects (both right) -> 3 of 5
    assert s["caption_correctness_colour"] == pytest.approx(3 / 5)
    assert s["caption_correctness_position"] == pytest.approx(2 / 3)
    assert s["caption_correctness_relation"] == 0.0
    assert s["caption_hallucination"] == pytest.approx(2 / 19)


def test_values_carry_bootstrap_intervals():
    s = ShapesSuite()
    records = s.records("test", range(40))
    captions = [c if i % 3 else "a small red circle" for i, c in enumerate(s.captions("test", range(40)))]
    values = {v.name: v for v in correctness_values(judge_captions(captions, records), resamples=200, seed=1)}
    v = values["caption_correctness"]
    assert v.value == pytest.approx(26 / 40) and v.n == 40 and v.higher_is_better
    assert v.ci_low < v.value < v.ci_high
    assert not values["caption_hallucination"].higher_is_better
    with pytest.raises(InputError, match="2 captions but 1 scene records"):
        judge_captions(["a", "b"], [ONE])
    with pytest.raises(InputError, match="caption correctness needs at least 1 caption, got 0"):
        correctness_values([])
