"""The shapes-skills-v1 evaluator: weights IO, the Extractor contract, training, and the shipped weights'
figures on a suite seed the training never saw."""

import json

import pytest
import torch
from safetensors.torch import save_file

from xmbench.data import get_suite
from xmbench.data.shapes_skills import ShapesSkillsSuite
from xmbench.data.shapes_skills.vocabulary import SKILLS
from xmbench.errors import InputError, WeightsError
from xmbench.extractors import get_extractor, list_extractors
from xmbench.extractors.shapes_skills_v1 import ShapesSkillsV1Extractor
from xmbench.extractors.shapes_skills_v1.extractor import IS_CLASSES
from xmbench.extractors.shapes_skills_v1.network import NetConfig, SkillsNet
from xmbench.extractors.shapes_skills_v1.targets import CELLS, HEAD_NAMES, encode
from xmbench.extractors.shapes_skills_v1.train import TrainConfig, train, training_data
from xmbench.extractors.shapes_skills_v1.weights import SHIPPED, load_weights, save_weights
from xmbench.extractors.shapes_v1.weights import sidecar
from xmbench.filehash import sha256_file
from xmbench.metrics.attributes_skills import accuracies, judge_batch
from xmbench.metrics.evaluator import Evaluator
from xmbench.text.tokenizer import WordTokenizer

#: what the shipped weights must reach on every split of an unseen suite seed (the issue's targets)
ATTRIBUTE_TARGET, PROMPT_TARGET = 0.99, 0.97


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    torch.manual_seed(0)
    tokenizer = WordTokenizer.from_captions(["two small red circles", "a striped blue box partly behind a red disk"])
    model = SkillsNet(NetConfig(vocab_size=len(tokenizer))).eval()
    path = tmp_path_factory.mktemp("w") / "random.safetensors"
    return path, save_weights(model, tokenizer, path), model


def test_save_load_round_trip_and_refusals(random_weights, tmp_path):
    path, sha, model = random_weights
    loaded, tokenizer, digest = load_weights(path)
    assert digest == sha == sha256_file(path)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in model.state_dict().items())
    with pytest.raises(WeightsError, match="expected 000000000000"):
        load_weights(path, sha256="0" * 64)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"x": torch.zeros(2)}, str(foreign))
    with pytest.raises(WeightsError, match="not a xmbench-shapes-skills-v1 weights file"):
        load_weights(foreign)
    with pytest.raises(WeightsError, match="train-evaluator --suite shapes-skills"):
        load_weights(tmp_path / "missing.safetensors")
    # shapes-v1 weights are not shapes-skills-v1 weights
    with pytest.raises(WeightsError, match="not a xmbench-shapes-skills-v1"):
        load_weights(SHIPPED.parent / "shapes-v1.safetensors")


def test_extractor_outputs(random_weights):
    path, sha, _ = random_weights
    ex = get_extractor("shapes-skills-v1", weights=path)
    assert isinstance(ex, ShapesSkillsV1Extractor) and ex.info.weights_hash == sha
    assert ex.info.input_size == 32 and ex.info.feature_dim == 256 and "shapes-skills-v1" in list_extractors()
    images = torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8)
    out = ex.images(images)
    assert out["features"].shape == (5, 256) and out["logits"].shape == (5, len(IS_CLASSES))
    assert torch.allclose(out["logits"].exp().sum(1), torch.ones(5), atol=1e-5)
    assert torch.allclose(out["image_embed"].norm(dim=1), torch.ones(5), atol=1e-5)
    assert out["attributes"].shape == (5, len(HEAD_NAMES) + CELLS) and out["attributes"].dtype == torch.int64
    ex.batch_size = 2
    assert torch.allclose(ex.images(images)["features"], out["features"], atol=1e-5)
    assert ex.text(["two small red circles"]).shape == (1, 128)
    assert len(ex.scenes(out["attributes"])) == 5
    with pytest.raises(InputError, match="takes 32x32 images"):
        ex.images(torch.zeros(1, 3, 64, 64, dtype=torch.uint8))


def test_training_data_targets_match_the_records():
    data = training_data(ShapesSkillsSuite(), "train", limit=12)
    classes, radii = encode([ShapesSkillsSuite().get("train", i).attributes for i in range(12)])
    assert torch.equal(data.classes, classes) and torch.equal(data.radii.isnan(), radii.isnan())
    assert data.lone[~data.lone.isnan().any(1)].shape[0] >= 2  # position scenes have their lone object


def test_training_is_deterministic_for_a_seed():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        config = TrainConfig(seed=3, epochs=1, limit=96, batch_size=48)
        a, _, history = train(config)
        b, _, _ = train(config)
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())
    assert history["config"]["limit"] == 96 and len(history["epochs"]) == 1


@pytest.fixture(scope="module")
def shipped():
    return json.loads(sidecar(SHIPPED).read_text()), get_extractor("shapes-skills-v1")


def test_shipped_weights_match_their_record(shipped):
    record, extractor = shipped
    assert SHIPPED.stat().st_size <= 5 * 2**20
    assert record["sha256"] == sha256_file(SHIPPED) == extractor.info.weights_hash
    assert record["targets_suite_seed"] != record["training"]["suite_seed"]
    assert set(record["targets"]) == {"test", *(f"compositional-{s}" for s in SKILLS)}
    assert record["train_cpu_seconds"] <= 25 * 60


@pytest.mark.slow
def test_shipped_figures_hold_on_an_unseen_seed(shipped):
    """A few hundred renders of suite seed 1 per split: every attribute and every whole prompt reach the
    recorded figures (which meet the issue's targets) within sampling noise."""
    record, extractor = shipped
    suite = get_suite("shapes-skills", seed=record["targets_suite_seed"])
    for split in ("test", *(f"compositional-{s}" for s in SKILLS)):
        batch = suite.batch(split, range(300 if split == "test" else 150))
        acc = accuracies(judge_batch(extractor.images(batch.images)["attributes"], batch.captions, batch.attributes))
        recorded = record["targets"][split]["attribute_accuracy"]
        for key, value in acc.items():
            if value == value:  # NaN: not judged in this split
                floor = min(recorded[key], ATTRIBUTE_TARGET if key not in ("caption", *SKILLS) else PROMPT_TARGET)
                assert value >= floor - 0.03, (split, key, value, recorded[key])


def test_evaluator_drives_attribute_accuracy_per_skill(shipped):
    _, extractor = shipped
    batch = ShapesSkillsSuite(seed=1).batch("test", range(60))
    ev = Evaluator(extractor, ["attribute_accuracy"], bootstrap=20)
    ev.update(batch.images[:30], batch.captions[:30], batch.attributes[:30])
    ev.update(batch.images[30:], batch.captions[30:], batch.attributes[30:])
    values = ev.compute()
    direct = accuracies(judge_batch(extractor.images(batch.images)["attributes"], batch.captions, batch.attributes))
    assert (
        values["attribute_accuracy"].value == pytest.approx(direct["caption"]) and values["attribute_accuracy"].n == 60
    )
    for skill in SKILLS:
        assert values[f"attribute_accuracy_{skill}"].value == pytest.approx(direct[skill])
    assert values["attribute_accuracy"].value >= 0.9
