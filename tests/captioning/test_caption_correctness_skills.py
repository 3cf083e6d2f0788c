"""Exact caption correctness on shapes-skills: the reader, and the judge on hand-written right and wrong captions."""

import pytest

from xmbench.data.shapes_skills import ShapesSkillsSuite
from xmbench.data.shapes_skills.reading import read_caption
from xmbench.metrics.captioning.correctness import correctness_scores, correctness_values, judge_captions
from xmbench.metrics.captioning.correctness_skills import METRICS, judge_caption

COUNTING = {
    "skill": "counting",
    "relation": None,
    "objects": [
        {"count": 2, "shape": "circle", "colour": "red", "size": "small"},
        {"count": 1, "shape": "square", "colour": "blue", "size": "large"},
    ],
}
BINDING = {
    "skill": "binding",
    "relation": None,
    "objects": [
        {"shape": "circle", "colour": "red", "texture": "striped"},
        {"shape": "square", "colour": "blue", "texture": "dotted"},
    ],
}
OCCLUSION = {
    "skill": "occlusion",
    "relation": "in front of",
    "objects": [{"shape": "square", "colour": "red"}, {"shape": "circle", "colour": "blue"}],
}
COMPARATIVE = {
    "skill": "comparative",
    "relation": "larger than",
    "objects": [{"shape": "triangle", "colour": "green"}, {"shape": "cross", "colour": "yellow"}],
}
POSITION = {
    "skill": "position",
    "relation": None,
    "objects": [{"shape": "diamond", "colour": "purple", "size": "small", "position": "top left"}],
}
RELATION = {
    "skill": "relation",
    "relation": "above",
    "objects": [
        {"shape": "cross", "colour": "orange", "size": "large"},
        {"shape": "square", "colour": "green", "size": "small"},
    ],
}

RIGHT = [
    (COUNTING, "two small red circles and a large blue square"),
    (COUNTING, "a big blue box next to 2 tiny red disks"),
    (BINDING, "a red striped circle and a blue square with dots"),
    (BINDING, "a dotted blue box beside a circle that is red and stripy"),
    (OCCLUSION, "a red square in front of a blue circle"),
    (OCCLUSION, "a blue circle behind a red square"),
    (OCCLUSION, "a blue disk and a crimson block covering it"),
    (COMPARATIVE, "a green triangle bigger than the yellow cross"),
    (COMPARATIVE, "a yellow plus sign smaller than a green wedge"),
    (POSITION, "a small purple diamond in the top left"),
    (POSITION, "in the upper left corner there is a little violet rhombus"),
    (RELATION, "a large orange cross above a small green square"),
    (RELATION, "a tiny green box below a big orange plus"),
]


@pytest.mark.parametrize(("record", "caption"), RIGHT)
def test_right_captions_are_correct(record, caption):
    j = judge_caption(caption, record)
    assert j["readable"] and j["correct"] and j["hallucinated"] == 0, j["reason"]


@pytest.mark.parametrize(
    ("record", "caption", "attribute", "judged", "hallucinated"),
    [
        (COUNTING, "three small red circles and a large blue square", "count", [False, False, True], 4),
        (COUNTING, "two small green circles and a large blue square", "colour", [False, False, True], 2),
        (COUNTING, "two large red circles and a large blue square", "size", [False, False, True], 0),
        (BINDING, "a dotted red circle and a striped blue square", "texture", [False, False], 0),
        (BINDING, "a striped red circle and a solid blue square", "texture", [True, False], 1),
        (OCCLUSION, "a blue circle in front of a red square", "depth_order", [False], 1),
        (OCCLUSION, "a red square left of a blue circle", "depth_order", [False], 0),
        (COMPARATIVE, "a green triangle smaller than the yellow cross", "size_order", [False], 1),
        (COMPARATIVE, "a green square larger than the yellow cross", "shape", [False, True], 1),
        (POSITION, "a small purple diamond in the bottom right", "grid_position", [False], 1),
        (POSITION, "a small purple circle in the top left", "shape", [False], 1),
        (RELATION, "a large orange cross below a small green square", "spatial_relation", [False], 1),
        (RELATION, "a large orange cross above a small green square and a red circle", "count", [False], 3),
    ],
)
def test_wrong_captions_are_caught_where_they_are_wrong(record, caption, attribute, judged, hallucinated):
    j = judge_caption(caption, record)
    assert j["readable"] and not j["correct"], caption
    assert j["judgements"][attribute] == judged, j
    assert j["hallucinated"] == hallucinated, j
    # one mistake is counted where it is: every other judgement stays right
    assert all(v for k, values in j["judgements"].items() if k != attribute for v in values), j


def test_an_object_left_out_is_wrong_in_every_attribute_but_no_hallucination():
    j = judge_caption("a striped red circle", BINDING)
    assert j["judgements"] == {
        "count": [False],
        "shape": [True, False],
        "colour": [True, False],
        "texture": [True, False],
    }
    assert j["hallucinated"] == 0 and j["claims"] == 4


def test_unreadable_captions_are_wrong_everywhere_and_claim_nothing():
    j = judge_caption("a photo of a cat", OCCLUSION)
    assert not j["readable"] and j["claims"] == 0
    assert j["judgements"] == {"count": [False], "shape": [False] * 2, "colour": [False] * 2, "depth_order": [False]}


def test_reader_reads_every_reference_of_the_suite_back():
    suite = ShapesSkillsSuite(seed=5)
    for split in ("test", "compositional-counting", "compositional-binding"):
        records = suite.records(split, range(120))
        for refs, record in zip(suite.references(split, range(120)), records, strict=True):
            for caption in refs:
                reading = read_caption(caption)
                claimed = [
                    {k: v for k, v in o.items() if k != "count" or record["skill"] == "counting"}
                    for o in reading.objects
                ]
                if record["relation"] is None:  # no order to keep: compare as multisets
                    claimed, expected = (
                        sorted(x, key=lambda o: sorted(o.items())) for x in (claimed, record["objects"])
                    )
                else:
                    expected = record["objects"]
                assert claimed == expected, caption
                assert reading.relation == record["relation"]


def test_scores_over_suite_references_and_shuffled_ones():
    suite = ShapesSkillsSuite(seed=6)
    records = suite.records("test", range(300))
    captions = [refs[0] for refs in suite.references("test", range(300))]
    right = correctness_scores(judge_captions(captions, records))
    assert right["caption_correctness"] == 1.0 and right["caption_hallucination"] == 0.0
    assert all(right[f"caption_correctness_{s}"] == 1.0 for s in ("counting", "binding", "occlusion"))
    wrong = correctness_scores(judge_captions(captions[1:] + captions[:1], records))
    assert wrong["caption_correctness"] < 0.02 and wrong["caption_hallucination"] > 0.3
    values = correctness_values(judge_captions(captions, records), resamples=20)
    assert [v.name for v in values] == [m[0] for m in METRICS]
    assert values[0].details["judge"].startswith("shapes-skills caption reader")
