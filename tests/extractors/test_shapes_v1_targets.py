"""Canonical targets and the attribute judge of the shapes-v1 evaluator."""

from xmbench.data import get_suite
from xmbench.data.shapes.grammar import parse_caption
from xmbench.extractors.shapes_v1.targets import HEAD_NAMES, IGNORE, canonical, decode, encode
from xmbench.metrics.attributes import accuracies, judge, judge_batch


def _two(a, b, relation):
    return {"objects": [a, b], "relation": relation}


RED_SQ = {"shape": "square", "colour": "red", "size": "small"}
BLUE_CI = {"shape": "circle", "colour": "blue", "size": "large"}


def test_mirrored_relations_share_one_canonical_form():
    assert canonical(_two(RED_SQ, BLUE_CI, "left of")) == canonical(_two(BLUE_CI, RED_SQ, "right of"))
    assert canonical(_two(RED_SQ, BLUE_CI, "above")) == canonical(_two(BLUE_CI, RED_SQ, "below"))
    assert canonical(_two(RED_SQ, BLUE_CI, "left of")) != canonical(_two(RED_SQ, BLUE_CI, "right of"))
    assert canonical(_two(RED_SQ, BLUE_CI, "left of"))["slots"][0] == RED_SQ
    assert canonical(_two(RED_SQ, BLUE_CI, "below"))["slots"][0] == BLUE_CI


def test_encode_decode_round_trip_on_suite_records():
    suite = get_suite("shapes")
    records = [suite.get("test", i).attributes for i in range(60)]
    t = encode(records)
    assert t.shape == (60, len(HEAD_NAMES))
    one = t[:, 0] == 0
    assert (t[one][:, HEAD_NAMES.index("shape1")] == IGNORE).all()
    assert (t[~one][:, HEAD_NAMES.index("position")] == IGNORE).all()
    decoded = decode(t.clamp(min=0))
    for r, d in zip(records, decoded, strict=False):
        assert d == canonical(r)


def test_caption_and_record_agree():
    suite = get_suite("shapes")
    for i in range(40):
        s = suite.get("test", i)
        assert canonical(parse_caption(s.caption)) == canonical(s.attributes)


def test_judge_counts_each_mistake_once():
    want = canonical(_two(RED_SQ, BLUE_CI, "left of"))
    assert judge(want, want)["correct"]
    # the same objects in the other order: only the relation is wrong
    swapped = canonical(_two(RED_SQ, BLUE_CI, "right of"))
    v = judge(swapped, want)
    assert not v["correct"] and v["judgements"]["relation"] == [False]
    assert v["judgements"]["colour"] == [True, True] and v["judgements"]["shape"] == [True, True]
    # the right arrangement with one wrong colour
    green = {**BLUE_CI, "colour": "green"}
    v = judge(canonical(_two(RED_SQ, green, "left of")), want)
    assert v["judgements"]["colour"] == [True, False] and v["judgements"]["relation"] == [True]
    assert "right object colour: expected blue, saw green" in v["reason"]
    # wrong count: everything the caption says is wrong
    single = canonical({"objects": [{**RED_SQ, "position": "top"}], "relation": None})
    v = judge(single, want)
    assert v["judgements"]["count"] == [False] and v["judgements"]["shape"] == [False, False]


def test_judge_batch_on_true_targets_is_perfect_and_shuffled_is_not():
    suite = get_suite("shapes")
    batch = suite.batch("test", range(80))
    truth = encode(batch.attributes).clamp(min=0)
    acc = accuracies(judge_batch(truth, batch.captions))  # parsed from captions
    assert all(v == 1.0 for v in acc.values())
    shuffled = batch.captions[1:] + batch.captions[:1]
    acc = accuracies(judge_batch(truth, shuffled, None))
    assert acc["caption"] < 0.2 and acc["count"] < 0.8


def test_is_logits_order_matches_classes():
    from xmbench.extractors.shapes_v1.targets import IS_CLASSES

    assert len(IS_CLASSES) == 30 and IS_CLASSES[0] == "red circle" and IS_CLASSES[7] == "orange square"


def test_worst_captions_rank_by_share_right_then_index():
    from xmbench.metrics.attributes import worst_captions

    def made(caption, flags, reason=""):
        return {"caption": caption, "correct": all(flags), "judgements": {"shape": flags}, "reason": reason}

    judgements = [made("a", [True, True]), made("b", [False, True], "x"), made("c", [False, False], "y")]
    judgements.append(made("d", [True, False], "z"))
    worst = worst_captions(judgements, k=3)
    assert [(w["caption"], w["score"], w["index"]) for w in worst] == [("c", 0.0, 2), ("b", 0.5, 1), ("d", 0.5, 3)]
    assert worst[0]["note"] == "y" and len(worst_captions(judgements)) == 4
