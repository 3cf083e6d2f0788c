import hashlib

import numpy as np
import pytest

from xmbench.data import get_suite
from xmbench.data.shapes import ShapesSuite
from xmbench.data.shapes.grammar import parse_caption
from xmbench.data.shapes.suite import SEEN_PAIRS, SPLIT_SIZES
from xmbench.data.shapes.vocabulary import COLOURS, HELD_OUT_PAIRS, POSITIONS, RELATIONS, SHAPES, SIZES
from xmbench.errors import InputError


def _digest(suite, split, indices):
    h = hashlib.sha256()
    for i in indices:
        s = suite.get(split, i)
        h.update(s.image.tobytes())
        h.update(s.caption.encode())
    return h.hexdigest()


def test_same_seed_gives_identical_bytes(shapes):
    again = ShapesSuite(seed=0)
    assert _digest(shapes, "train", range(50)) == _digest(again, "train", range(50))
    # random access: reading in another order gives the same sample
    assert np.array_equal(shapes.get("test", 123).image, again.get("test", 123).image)


def test_different_seed_gives_different_data(shapes):
    assert _digest(shapes, "train", range(10)) != _digest(ShapesSuite(seed=1), "train", range(10))


def test_images_are_uint8_chw_at_both_resolutions(shapes):
    assert shapes.get("val", 0).image.shape == (3, 32, 32)
    big = ShapesSuite(resolution=64).batch("val", range(4)).images
    assert big.shape == (4, 3, 64, 64) and str(big.dtype) == "torch.uint8"


def test_images_are_antialiased(shapes):
    # anti-aliased edges give many intermediate values between background and object colour
    img = shapes.get("train", 3).image.astype(int)
    assert len(np.unique(img[0])) > 30


@pytest.mark.parametrize("split", ["train", "test", "compositional"])
def test_caption_mentions_exactly_the_record(shapes, split):
    for i in range(300):
        s = shapes.get(split, i)
        parsed = parse_caption(s.caption)
        assert parsed == {"objects": s.attributes["objects"], "relation": s.attributes["relation"]}, s.caption


def test_attribute_coverage(shapes):
    records = [shapes.get("train", i).attributes for i in range(2000)]
    objs = [o for r in records for o in r["objects"]]
    assert {o["shape"] for o in objs} == set(SHAPES)
    assert {o["colour"] for o in objs} == set(COLOURS)
    assert {o["size"] for o in objs} == set(SIZES)
    assert {o["position"] for o in objs if "position" in o} == set(POSITIONS)
    assert {r["relation"] for r in records if r["relation"]} == set(RELATIONS)
    assert {len(r["objects"]) for r in records} == {1, 2}


def test_relations_match_geometry(shapes):
    for i in range(500):
        r = shapes.get("test", i).attributes
        if not r["relation"]:
            continue
        a, b = r["geometry"]
        dx, dy = a["x"] - b["x"], a["y"] - b["y"]
        expected = {"left of": dx < 0, "right of": dx > 0, "above": dy < 0, "below": dy > 0}[r["relation"]]
        gap = abs(dx) if r["relation"] in ("left of", "right of") else abs(dy)
        assert expected and gap > a["radius"] + b["radius"], r


def test_splits_are_disjoint(shapes):
    digests = {}
    for split in ("train", "val", "test", "compositional"):
        digests[split] = {hashlib.sha256(shapes.get(split, i).image.tobytes()).digest() for i in range(400)}
    splits = list(digests)
    for k, a in enumerate(splits):
        for b in splits[k + 1 :]:
            assert not digests[a] & digests[b], (a, b)


def test_compositional_pairs_absent_from_train_and_present_in_holdout(shapes):
    for i in range(SPLIT_SIZES["train"]):
        for o in shapes.get("train", i).attributes["objects"]:
            assert (o["colour"], o["shape"]) not in HELD_OUT_PAIRS
        if i >= 3000:  # rendering all 20k is slow; the sampler draws only from SEEN_PAIRS
            break
    for i in range(300):
        objs = shapes.get("compositional", i).attributes["objects"]
        assert any((o["colour"], o["shape"]) in HELD_OUT_PAIRS for o in objs)
    assert not set(SEEN_PAIRS) & HELD_OUT_PAIRS


def test_train_captions_never_name_a_held_out_pair(shapes):
    # captions alone are cheap: check the whole train split through the parser
    for caption in shapes.captions("train", range(SPLIT_SIZES["train"])):
        for o in parse_caption(caption)["objects"]:
            assert (o["colour"], o["shape"]) not in HELD_OUT_PAIRS, caption


def test_captions_method_matches_get(shapes):
    assert shapes.captions("val", range(20)) == [shapes.get("val", i).caption for i in range(20)]


def test_bad_names_and_indices():
    with pytest.raises(InputError, match="did you mean 'shapes'"):
        get_suite("shapez")
    with pytest.raises(InputError, match="did you mean 'test'"):
        ShapesSuite().get("tets", 0)
    with pytest.raises(InputError, match="out of range"):
        ShapesSuite().get("val", 2000)
    with pytest.raises(InputError, match="32 or 64"):
        ShapesSuite(resolution=48)


def test_unparseable_caption():
    with pytest.raises(InputError, match="not in the shapes grammar"):
        parse_caption("a photo of a cat")
