"""The caption encoder's pre-training: attribute slot targets, learning, the cache, freezing."""

import torch

from baselines.text_pretrain import NONE, pretrained_encoder_state, slot_targets, slot_values, train_encoder
from xmbench.text.encoder import CaptionEncoder
from xmbench.text.tokenizer import WordTokenizer


def test_slot_values_by_hand():
    record = {
        "objects": [
            {"shape": "circle", "colour": "red", "size": "small"},
            {"shape": "square", "colour": "blue", "size": "large"},
        ],
        "relation": "above",
    }
    slots = slot_values(record)
    assert slots["count"] == "2" and slots["relation"] == "above"
    assert slots["0.shape"] == "circle" and slots["1.colour"] == "blue" and slots["0.position"] == NONE
    one = slot_values(
        {"objects": [{"shape": "cross", "colour": "red", "size": "small", "position": "top"}], "relation": None}
    )
    assert one["relation"] == NONE and one["1.shape"] == NONE and one["0.position"] == "top"
    targets, classes = slot_targets([record, {"objects": record["objects"][:1], "relation": None}])
    assert targets.shape == (2, len(classes)) and classes["count"] == ["1", "2"]
    assert targets[:, list(classes).index("count")].tolist() == [1, 0]


def test_encoder_learns_the_slots(suite):
    from baselines.text_pretrain import caption_records

    captions = suite.captions("train", range(8))
    tok = WordTokenizer.from_captions(captions)
    targets, classes = slot_targets(caption_records(suite, captions))
    torch.manual_seed(0)
    enc = CaptionEncoder(len(tok), dim=16)
    first = train_encoder(enc, tok.encode(captions, 16), targets, [len(v) for v in classes.values()], 1, 4)
    last = train_encoder(enc, tok.encode(captions, 16), targets, [len(v) for v in classes.values()], 80, 8)
    assert last["loss"] < 0.5 * first["loss"] and last["accuracy"] > 0.9


def test_pretrained_state_is_cached_and_frozen(suite, tiny):
    captions = suite.captions("train", range(8))
    model = tiny("gan-int-cls", suite)
    assert model.text_frozen and not any(p.requires_grad for p in model.encoder.parameters())
    assert {id(p) for p in model.encoder.parameters()}.isdisjoint(
        id(p) for group in model.opt_d.param_groups for p in group["params"]
    )
    state = pretrained_encoder_state(model.encoder, model.tokenizer, model.max_len, suite, captions, steps=3)
    again = pretrained_encoder_state(model.encoder, model.tokenizer, model.max_len, suite, captions, steps=3)
    assert all(torch.equal(state[k], again[k]) for k in state)
    assert not all(torch.equal(state[k], v) for k, v in model.encoder.state_dict().items())
    model.encoder.load_state_dict(state)  # fits the model's encoder
