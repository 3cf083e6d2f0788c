"""The shipped shapes-v1 weights: hash, size, recorded targets, and what they measure on real images."""

import json

import pytest
import torch

from xmbench.data import get_suite
from xmbench.data.rendered import render_split
from xmbench.extractors import get_extractor
from xmbench.extractors.shapes_v1.train import TrainConfig, train
from xmbench.extractors.shapes_v1.weights import SHIPPED, sidecar
from xmbench.filehash import sha256_file
from xmbench.metrics.attributes import accuracies, judge_batch
from xmbench.metrics.evaluator import Evaluator


@pytest.fixture(scope="module")
def record():
    return json.loads(sidecar(SHIPPED).read_text())


@pytest.fixture(scope="module")
def extractor():
    return get_extractor("shapes-v1")


def test_shipped_file_is_small_and_matches_its_hash(record, extractor):
    assert SHIPPED.stat().st_size <= 5 * 2**20
    assert record["sha256"] == sha256_file(SHIPPED) == extractor.info.weights_hash


def test_recorded_targets_meet_the_issue(record):
    test = record["targets"]["test"]
    assert test["n"] == 5000
    for attribute, value in test["attribute_accuracy"].items():
        assert value >= (0.97 if attribute == "caption" else 0.99), attribute
    assert test["r_precision"]["mean"] >= 0.95
    assert "compositional" in record["targets"]


def test_measured_accuracy_on_real_test_images(record, extractor):
    data = render_split(get_suite("shapes"), "test", limit=400)
    out = extractor.images(data.images)
    acc = accuracies(judge_batch(out["attributes"], data.captions))  # captions parsed, records not used
    assert acc["caption"] >= 0.95
    assert abs(acc["caption"] - record["targets"]["test"]["attribute_accuracy"]["caption"]) < 0.03
    # a wrong caption for every image: near-zero whole-caption accuracy
    wrong = accuracies(judge_batch(out["attributes"], data.captions[1:] + data.captions[:1]))
    assert wrong["caption"] < 0.05


def test_evaluator_drives_attribute_accuracy(extractor):
    batch = get_suite("shapes").batch("test", range(120))
    ev = Evaluator(extractor, ["attribute_accuracy"], bootstrap=50)
    ev.update(batch.images[:60], batch.captions[:60], batch.attributes[:60])
    ev.update(batch.images[60:], batch.captions[60:], batch.attributes[60:])
    values = ev.compute()
    direct = accuracies(judge_batch(extractor.images(batch.images)["attributes"], batch.captions))
    whole = values["attribute_accuracy"]
    assert whole.value == pytest.approx(direct["caption"]) and whole.n == 120
    assert whole.ci_low <= whole.value <= whole.ci_high
    assert values["attribute_accuracy_colour"].value == pytest.approx(direct["colour"])


def test_training_is_deterministic_for_a_seed():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        config = TrainConfig(seed=3, epochs=1, limit=256, batch_size=128)
        a, _, _ = train(config)
        b, _, _ = train(config)
        c, _, _ = train(TrainConfig(seed=4, epochs=1, limit=256, batch_size=128))
    finally:
        torch.set_num_threads(threads)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
