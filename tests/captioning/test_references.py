"""Several reference captions per image: shapes' independent grammar draws, the real suites' own captions."""

import hashlib

import pytest

from xmbench.data import get_suite
from xmbench.data.shapes import ShapesSuite
from xmbench.data.shapes.grammar import parse_caption
from xmbench.data.shapes.suite import REFERENCES_PER_IMAGE


def _sha(lines):
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_shapes_captions_are_unchanged_by_references():
    # golden digest of the captions before references existed: the text -> image protocol depends on them
    s = ShapesSuite()
    captions = s.captions("test", range(500)) + s.captions("train", range(500))
    assert _sha(captions) == "873f9aea0577cc2e6a2ad9c6d27cefa4e59ce7be8accc2ee78604e1304c30243"


def test_shapes_references_are_golden_and_deterministic():
    s = ShapesSuite()
    refs = s.references("test", range(500))
    assert _sha("|".join(r) for r in refs) == "ecdb288b3d41017a89a54670a6f9c8b0e69acce9b5c0e6e0ac03437db3ce59cf"
    # random access and a fresh suite give the same references
    assert ShapesSuite().references("test", [499, 3]) == [refs[499], refs[3]]
    assert ShapesSuite(seed=1).references("test", [3]) != [refs[3]]
    assert s.references("val", [3]) != [refs[3]]


def test_shapes_references_describe_the_scene_in_several_ways():
    s = ShapesSuite()
    indices = range(200)
    refs = s.references("test", indices)
    own = s.captions("test", indices)
    distinct = 0
    for i, r, c in zip(indices, refs, own, strict=True):
        assert len(r) == REFERENCES_PER_IMAGE
        record = s.get("test", i).attributes
        for ref in r:
            assert parse_caption(ref) == {"objects": record["objects"], "relation": record["relation"]}, ref
        distinct += len(set(r))
        held_out, scoring = s.held_out_references("test", [i])
        assert held_out == [c] and scoring == [r]
    assert distinct >= 0.95 * REFERENCES_PER_IMAGE * len(indices)
    assert sum(c in r for c, r in zip(own, refs, strict=True)) < 0.05 * len(indices)


def test_base_suite_references_are_its_captions(tmp_path):
    from PIL import Image

    (tmp_path / "a.png").parent.mkdir(exist_ok=True)
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    (tmp_path / "captions.jsonl").write_text('{"image": "a.png", "caption": "one"}\n')
    suite = get_suite(f"folder:{tmp_path}")
    assert suite.references("test", [0]) == [["one"]]
    assert suite.image_indices("test") == [0]
    assert suite.held_out_references("test", [0]) == (["one"], [["one"]])


@pytest.mark.parametrize("split", ["train", "compositional"])
def test_shapes_records_match_samples(split):
    s = ShapesSuite()
    for i, record in enumerate(s.records(split, range(20))):
        sample = s.get(split, i).attributes
        assert record == {"objects": sample["objects"], "relation": sample["relation"]}
