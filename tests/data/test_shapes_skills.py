"""The shapes-skills suite: determinism, its grammar, its held-out splits and the ground truth of its pixels."""

import hashlib

import numpy as np
import pytest
from scipy import ndimage

from xmbench.data import get_suite
from xmbench.data.shapes.vocabulary import COLOUR_RGB, POSITIONS
from xmbench.data.shapes_skills import ShapesSkillsSuite
from xmbench.data.shapes_skills.grammar import make_caption, parse_caption
from xmbench.data.shapes_skills.layout import CELL_CENTRES, GRID_CENTRES, HIDDEN_RANGE, hidden_share
from xmbench.data.shapes_skills.render import LIGHT, coverage
from xmbench.data.shapes_skills.scenes import canonical_pair, held_out_combinations, sample_scene
from xmbench.data.shapes_skills.suite import SPLIT_SIZES, skill_of
from xmbench.data.shapes_skills.vocabulary import (
    HELD_OUT_ARRANGEMENTS,
    HELD_OUT_COUNTS,
    HELD_OUT_DEPTHS,
    HELD_OUT_PLACES,
    HELD_OUT_SIZES,
    HELD_OUT_TRIPLES,
    SKILLS,
    TEXTURES,
)
from xmbench.errors import InputError

COMPOSITIONAL = [f"compositional-{skill}" for skill in SKILLS]


@pytest.fixture(scope="module")
def suite():
    return ShapesSkillsSuite()


def _digest(suite, split, indices):
    h = hashlib.sha256()
    for i in indices:
        s = suite.get(split, i)
        h.update(s.image.tobytes())
        h.update(s.caption.encode())
    return h.hexdigest()


def test_registered_with_splits_and_protocol():
    suite = get_suite("shapes-skills")
    assert suite.splits == SPLIT_SIZES and suite.resolution == 32
    assert set(suite.splits) == {"train", "val", "test", *COMPOSITIONAL}
    assert suite.protocol()["generator_version"] == 1 and suite.protocol()["suite"] == "shapes-skills"
    with pytest.raises(InputError, match="32 or 64"):
        ShapesSkillsSuite(resolution=48)


def test_rendering_is_a_pure_function_of_seed_split_index(suite):
    again = ShapesSkillsSuite(seed=0)
    for split in ("train", "compositional-occlusion"):
        assert _digest(suite, split, range(24)) == _digest(again, split, range(24))
    # random access: one sample alone, out of order, is the same sample
    assert np.array_equal(suite.get("test", 77).image, again.batch("test", [80, 77]).images[1].numpy())
    assert _digest(suite, "train", range(12)) != _digest(ShapesSkillsSuite(seed=1), "train", range(12))
    assert _digest(suite, "train", range(12)) != _digest(suite, "val", range(12))
    # captions and records are read without drawing, and agree with the drawn sample
    sample = suite.get("val", 5)
    assert suite.captions("val", [5]) == [sample.caption]
    assert suite.records("val", [5])[0] == {k: v for k, v in sample.attributes.items() if k != "geometry"}


def test_resolution_64_draws_the_same_scene_larger():
    small, large = ShapesSkillsSuite().get("test", 9), ShapesSkillsSuite(resolution=64).get("test", 9)
    assert large.image.shape == (3, 64, 64) and large.caption == small.caption
    assert [g["x"] for g in large.attributes["geometry"]] == pytest.approx(
        [2 * g["x"] for g in small.attributes["geometry"]], abs=2e-3
    )


def test_skills_cycle_in_train_val_test(suite):
    for split in ("train", "val", "test"):
        assert [r["skill"] for r in suite.records(split, range(12))] == [*SKILLS, *SKILLS]
    assert {r["skill"] for r in suite.records("compositional-binding", range(20))} == {"binding"}
    assert skill_of("compositional-relation", 0) == "relation"


@pytest.mark.parametrize("skill", SKILLS)
def test_grammar_round_trip(skill):
    """make_caption -> parse_caption gives the record back, for 1000 scenes of each skill (held out or not)."""
    rng = np.random.default_rng(SKILLS.index(skill))
    templates = set()
    for k in range(1000):
        record = sample_scene(skill, rng, held_out=k % 4 == 0)
        caption = make_caption(record, rng)
        assert parse_caption(caption) == record, caption
        templates.add(caption.split()[0])
    assert len(templates) >= 3  # several templates were drawn


def test_parse_rejects_captions_outside_the_grammar():
    with pytest.raises(InputError, match="not in the shapes-skills grammar"):
        parse_caption("three red circles on a table")


def test_compositional_splits_hold_held_out_combinations_and_the_others_never(suite):
    for split in ("train", "val", "test"):
        assert not any(held_out_combinations(r) for r in suite.records(split, range(1800)))
    for split in COMPOSITIONAL:
        assert all(held_out_combinations(r) for r in suite.records(split, range(300)))
    held = {
        "counting": HELD_OUT_COUNTS,
        "binding": HELD_OUT_TRIPLES,
        "occlusion": HELD_OUT_DEPTHS,
        "comparative": HELD_OUT_SIZES,
        "position": HELD_OUT_PLACES,
        "relation": HELD_OUT_ARRANGEMENTS,
    }
    # the held-out predicate, checked independently on the split's records
    for skill, combos in held.items():
        records = suite.records(f"compositional-{skill}", range(100))
        seen_combos = {c for r in records for c in held_out_combinations(r)}
        assert seen_combos <= combos and len(seen_combos) >= 3
    counting = suite.records("compositional-counting", range(100))
    assert all(any((o["count"], o["shape"]) in HELD_OUT_COUNTS for o in r["objects"]) for r in counting)
    occlusion = suite.records("compositional-occlusion", range(100))
    fronts = [canonical_pair(r) for r in occlusion]
    assert all((f["shape"], b["shape"]) in HELD_OUT_DEPTHS for f, b in fronts)


def _object_pixels(image):
    """Mask of the pixels that show an object: saturated colour (the background is grey)."""
    rgb = image.astype(np.float64) / 255.0
    return rgb.max(0) - rgb.min(0) > 0.2


def test_counting_scenes_show_as_many_separate_objects_as_the_record_says(suite):
    checked = 0
    for i in range(0, 240, 6):  # counting samples of the test split
        sample = suite.get("test", i)
        total = sum(o["count"] for o in sample.attributes["objects"])
        _, components = ndimage.label(_object_pixels(sample.image))
        assert components == total == len(sample.attributes["geometry"]), sample.caption
        checked += total > 1
    assert checked > 20


def test_cell_objects_sit_in_distinct_cells_and_relations_follow_the_cells(suite):
    for i in range(300):
        record = suite.get("train", i).attributes
        if record["skill"] not in ("counting", "binding", "relation", "comparative"):
            continue
        cells = [g["cell"] for g in record["geometry"]]
        assert len(set(cells)) == len(cells)
        for g in record["geometry"]:
            assert (
                abs(g["x"] - CELL_CENTRES[g["cell"] % 2]) <= 0.75 and abs(g["y"] - CELL_CENTRES[g["cell"] // 2]) <= 0.75
            )
        if record["skill"] == "relation":
            a, b = record["geometry"]
            dx, dy = a["x"] - b["x"], a["y"] - b["y"]
            relation = {"left of": dx < -10, "right of": dx > 10, "above": dy < -10, "below": dy > 10}
            assert relation[record["relation"]], record


def test_comparative_and_position_geometry(suite):
    for i in range(4, 400, 6):  # position samples
        record = suite.get("test", i).attributes
        cell = POSITIONS.index(record["objects"][0]["position"])
        (g,) = record["geometry"]
        assert abs(g["x"] - GRID_CENTRES[cell % 3]) <= 1 and abs(g["y"] - GRID_CENTRES[cell // 3]) <= 1
    for i in range(200):
        record = suite.get("compositional-comparative", i).attributes
        a, b = (g["radius"] for g in record["geometry"])
        ratio = a / b if record["relation"] == "larger than" else b / a
        assert ratio >= 1.5 - 1e-3, record


def test_textures_paint_light_pixels_inside_the_object(suite):
    seen = set()
    for i in range(1, 600, 6):  # binding samples
        sample = suite.get("test", i)
        for obj, g in zip(sample.attributes["objects"], sample.attributes["geometry"], strict=True):
            inside = coverage(obj["shape"], g["x"], g["y"], g["radius"], 32) == 1.0
            rgb = sample.image[:, inside].astype(np.float64).T / 255.0
            base = np.asarray(COLOUR_RGB[obj["colour"]])
            light = base * (1 - LIGHT) + LIGHT
            # a pixel is light paint when it is nearer the light colour than the object's colour
            share = np.mean(np.abs(rgb - light).sum(1) < np.abs(rgb - base).sum(1))
            if obj["texture"] == "solid":
                assert share == 0.0, sample.caption
            else:
                assert 0.08 < share < 0.9, (sample.caption, share)
            seen.add(obj["texture"])
    assert seen == set(TEXTURES)


def test_the_occluder_is_drawn_over_the_occluded_object(suite):
    samples = [suite.get("test", 6 * i + 2) for i in range(60)] + [
        suite.get("compositional-occlusion", i) for i in range(60)
    ]
    for sample in samples:
        record = sample.attributes
        front, back = canonical_pair(record)
        g_back, g_front = record["geometry"]
        # where the front object covers (nearly) a whole pixel that the back object covers too, the front shows
        both = (coverage(back["shape"], g_back["x"], g_back["y"], g_back["radius"], 32) > 0.5) & (
            coverage(front["shape"], g_front["x"], g_front["y"], g_front["radius"], 32) >= 0.9
        )
        assert both.sum() >= 4, sample.caption
        pixels = sample.image[:, both].astype(np.float64).T / 255.0
        to_front = np.abs(pixels - np.asarray(COLOUR_RGB[front["colour"]])).max(1)
        to_back = np.abs(pixels - np.asarray(COLOUR_RGB[back["colour"]])).max(1)
        assert (to_front < 0.15).all() and (to_front < to_back).all(), sample.caption
        share = hidden_share((back["shape"], g_back), (front["shape"], g_front))
        assert HIDDEN_RANGE[0] - 0.02 <= share <= HIDDEN_RANGE[1] + 0.02


def test_references_are_independent_grammar_draws_of_the_scene(suite):
    records = suite.records("test", range(12))
    for refs, record in zip(suite.references("test", range(12)), records, strict=True):
        assert len(refs) == 5 and len(set(refs)) > 1
        assert all(parse_caption(r) == record for r in refs)
