"""Attribute accuracy on shapes-skills: a perfect reading is right, each kind of misreading is caught where it is."""

import pytest
import torch

from xmbench.data.shapes.vocabulary import COLOURS, SHAPES
from xmbench.data.shapes_skills import ShapesSkillsSuite
from xmbench.data.shapes_skills.vocabulary import SKILLS
from xmbench.extractors.base import ExtractorInfo
from xmbench.extractors.shapes_skills_v1.targets import HEAD_NAMES, HEADS, RADIUS_UNIT, decode, perfect_attributes
from xmbench.metrics.attributes import AttributeAccuracy
from xmbench.metrics.attributes_skills import ATTRIBUTES, accuracies, judge_batch
from xmbench.metrics.registry import MetricContext


@pytest.fixture(scope="module")
def batch():
    return ShapesSkillsSuite(seed=3).batch("test", range(240))


def _judge(sample_attributes, caption, edit):
    attributes = perfect_attributes([sample_attributes])
    edit(attributes[0])
    return judge_batch(attributes, [caption], [sample_attributes])[0]


def _first(batch, skill, where=lambda r: True):
    i = next(i for i, r in enumerate(batch.attributes) if r["skill"] == skill and where(r))
    return batch.attributes[i], batch.captions[i]


def _set(row, head, value):
    row[HEAD_NAMES.index(head)] = HEADS[head].index(value)


def test_a_perfect_reading_is_right_and_a_shuffled_prompt_is_wrong(batch):
    attributes = perfect_attributes(batch.attributes)
    right = accuracies(judge_batch(attributes, batch.captions, batch.attributes))
    assert all(right[k] == 1.0 for k in ("caption", *ATTRIBUTES, *SKILLS))
    # records parsed from the captions judge the same
    assert accuracies(judge_batch(attributes, batch.captions))["caption"] == 1.0
    shuffled = accuracies(judge_batch(attributes, batch.captions[1:] + batch.captions[:1]))
    assert shuffled["caption"] == 0.0 and shuffled["colour"] < 0.3


def test_counting_misreadings(batch):
    record, caption = _first(batch, "counting", lambda r: sum(o["count"] for o in r["objects"]) >= 2)
    cell = record["geometry"][0]["cell"]
    missing = _judge(record, caption, lambda row: _set(row, f"shape{cell}", "none"))
    assert missing["judgements"]["count"][0] is False and not missing["correct"]
    recoloured = _judge(
        record,
        caption,
        lambda row: _set(row, f"colour{cell}", "green" if record["objects"][0]["colour"] != "green" else "red"),
    )
    assert recoloured["judgements"]["count"] == [True] * len(recoloured["judgements"]["count"])
    assert recoloured["judgements"]["colour"].count(False) == 1


def test_binding_texture_swap_is_caught(batch):
    record, caption = _first(batch, "binding", lambda r: len({o["texture"] for o in r["objects"]}) > 1)
    cells = [g["cell"] for g in record["geometry"]]
    textures = [o["texture"] for o in record["objects"]]

    def swap(row):
        _set(row, f"texture{cells[0]}", textures[1])
        _set(row, f"texture{cells[1]}", textures[0])

    j = _judge(record, caption, swap)
    assert j["judgements"]["texture"][:2] == [False, False] and all(j["judgements"]["shape"])


def test_relation_read_the_other_way_is_wrong(batch):
    record, caption = _first(batch, "relation")
    a, b = (g["cell"] for g in record["geometry"])
    objects = record["objects"]

    def swap(row):
        for cell, obj in ((a, objects[1]), (b, objects[0])):
            _set(row, f"shape{cell}", obj["shape"])
            _set(row, f"colour{cell}", obj["colour"])
            _set(row, f"size{cell}", obj["size"])

    j = _judge(record, caption, swap)
    assert j["judgements"]["spatial_relation"] == [False]
    assert all(j["judgements"]["shape"]) and all(j["judgements"]["colour"])


def test_comparative_radii_swapped_is_wrong(batch):
    record, caption = _first(batch, "comparative")
    a, b = (g["cell"] for g in record["geometry"])

    def swap(row):
        n = len(HEAD_NAMES)
        row[n + a], row[n + b] = row[n + b].clone(), row[n + a].clone()

    assert _judge(record, caption, swap)["judgements"]["size_order"] == [False]
    assert _judge(record, caption, lambda row: None)["judgements"]["size_order"] == [True]


def test_occlusion_depth_needs_overlap_and_the_right_object_in_front(batch):
    record, caption = _first(batch, "occlusion")
    back, front = (g["anchor"] for g in record["geometry"])

    def flip(row):
        _set(row, f"anchor_depth{back}", "front")
        _set(row, f"anchor_depth{front}", "back")

    assert _judge(record, caption, flip)["judgements"]["depth_order"] == [False]
    assert _judge(record, caption, lambda row: _set(row, "overlap", "no"))["judgements"]["depth_order"] == [False]
    reshaped = _judge(record, caption, lambda row: _set(row, f"anchor_shape{front}", "none"))
    assert reshaped["judgements"]["count"] == [False] and reshaped["judgements"]["depth_order"] == [False]


def test_position_misreading(batch):
    record, caption = _first(batch, "position")
    other = "centre" if record["objects"][0]["position"] != "centre" else "top"
    j = _judge(record, caption, lambda row: _set(row, "single_position", other))
    assert j["judgements"] == {"shape": [True], "colour": [True], "size": [True], "grid_position": [False]}


def test_decode_reads_radii_and_anchors():
    row = torch.zeros(1, len(HEAD_NAMES) + 4, dtype=torch.int64)
    row[0, HEAD_NAMES.index("anchor_shape2")] = 1 + SHAPES.index("cross")
    row[0, HEAD_NAMES.index("anchor_colour2")] = COLOURS.index("blue")
    row[0, HEAD_NAMES.index("anchor_depth2")] = 1
    row[0, HEAD_NAMES.index("shape1")] = 1
    row[0, len(HEAD_NAMES) + 1] = 525
    seen = decode(row)[0]
    assert seen["anchors"][2] == {"shape": "cross", "colour": "blue", "front": True}
    assert seen["cells"][1]["radius"] == pytest.approx(525 * RADIUS_UNIT)


def test_attribute_accuracy_metric_reports_each_skill(batch):
    info = ExtractorInfo("shapes-skills-v1", "", 32, "none", 256)
    metric = AttributeAccuracy(MetricContext(info, bootstrap=0))
    attributes = perfect_attributes(batch.attributes)
    lost = next(
        i
        for i, r in enumerate(batch.attributes)
        if r["skill"] == "counting" and 0 in [g["cell"] for g in r["geometry"]]
    )
    attributes[lost, HEAD_NAMES.index("shape0")] = 0  # a counting image loses the object of cell 0
    metric.update({"attributes": attributes, "captions": batch.captions, "attribute_records": batch.attributes})
    values = {v.name: v.value for v in metric.compute()}
    assert set(values) == {"attribute_accuracy", *(f"attribute_accuracy_{k}" for k in (*ATTRIBUTES, *SKILLS))}
    assert values["attribute_accuracy_binding"] == 1.0 and values["attribute_accuracy_relation"] == 1.0
    assert values["attribute_accuracy_counting"] == pytest.approx(1 - 1 / 40)  # 40 counting prompts of 240
    expected = accuracies(judge_batch(attributes, batch.captions, batch.attributes))
    assert values["attribute_accuracy_counting"] == expected["counting"]
    assert values["attribute_accuracy"] == expected["caption"]


def test_prompts_of_the_other_suite_are_refused(batch):
    from xmbench.errors import InputError

    skills = AttributeAccuracy(MetricContext(ExtractorInfo("shapes-skills-v1", "", 32, "none", 256), bootstrap=0))
    v1_record = {
        "objects": [{"shape": "circle", "colour": "red", "size": "small", "position": "top"}],
        "relation": None,
    }
    with pytest.raises(InputError, match="shapes prompts needs the shapes-v1 extractor"):
        skills.update(
            {
                "attributes": perfect_attributes(batch.attributes[:1]),
                "captions": ["x"],
                "attribute_records": [v1_record],
            }
        )
    v1 = AttributeAccuracy(MetricContext(ExtractorInfo("shapes-v1", "", 32, "none", 256), bootstrap=0))
    with pytest.raises(InputError, match="shapes-skills prompts needs the shapes-skills-v1 extractor"):
        v1.update(
            {
                "attributes": torch.zeros(1, 9, dtype=torch.int64),
                "captions": ["x"],
                "attribute_records": batch.attributes[:1],
            }
        )
