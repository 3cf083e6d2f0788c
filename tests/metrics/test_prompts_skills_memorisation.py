"""Several images per prompt, per-skill breakdown, prompt diversity, memorisation and paired robustness
drops at the metric level: closed forms on constructed judgements, features and scenes."""

import numpy as np
import pytest
import torch

from xmbench.data import get_suite
from xmbench.errors import InputError
from xmbench.extractors.base import ExtractorInfo
from xmbench.extractors.shapes_v1.targets import canonical, encode
from xmbench.metrics.attributes import AttributeAccuracy
from xmbench.metrics.bootstrap import centre_replicates, resample_counts
from xmbench.metrics.defaults import DEFAULT_SEED
from xmbench.metrics.memorisation import Memorisation, TrainingSet, noise_floor, scene_key, training_scenes
from xmbench.metrics.prompt_diversity import PromptDiversity
from xmbench.metrics.registry import MetricContext
from xmbench.metrics.robustness import paired_drop
from xmbench.metrics.skills import per_skill

SHAPES = ExtractorInfo("shapes-v1", "", 32, "none", 4)


def _records(n: int, skills: list[str] | None = None) -> list[dict]:
    records = get_suite("shapes").records("test", range(n))
    return [{**r, "skill": skills[i % len(skills)]} for i, r in enumerate(records)] if skills else records


def _wrong(record: dict) -> dict:
    """The record with its first object's colour changed (one attribute wrong)."""
    objects = [dict(o) for o in record["objects"]]
    objects[0]["colour"] = "blue" if objects[0]["colour"] != "blue" else "red"
    return {**record, "objects": objects}


def _accuracy(seen: list[dict], records: list[dict], prompts: list[int] | None, bootstrap: int = 50) -> dict:
    metric = AttributeAccuracy(MetricContext(SHAPES, bootstrap=bootstrap))
    outputs = {"attributes": encode(seen).clamp_min(0), "captions": ["x"] * len(seen), "attribute_records": records}
    if prompts is not None:
        outputs["prompts"] = prompts
    metric.update(outputs)
    return {v.name: v for v in metric.compute()}


def test_one_image_per_prompt_gives_the_values_of_ungrouped_images():
    records = _records(40)
    seen = [r if i % 3 else _wrong(r) for i, r in enumerate(records)]
    grouped, plain = _accuracy(seen, records, list(range(40))), _accuracy(seen, records, None)
    assert (
        grouped.keys()
        == plain.keys()
        == {
            "attribute_accuracy",
            *(f"attribute_accuracy_{a}" for a in ("count", "shape", "colour", "size", "position", "relation")),
        }
    )
    for name, value in plain.items():
        assert grouped[name].to_dict() == value.to_dict(), name


def test_any_counts_prompts_with_one_right_image_and_is_at_least_the_share():
    records = _records(6)
    # prompt k has images 2k, 2k+1: prompts 0 and 1 have one right image, prompt 2 none, prompts 3-5 both
    right = [True, False, False, True, False, False, True, True, True, True, True, True]
    seen = [records[i // 2] if ok else _wrong(records[i // 2]) for i, ok in enumerate(right)]
    values = _accuracy(seen, [records[i // 2] for i in range(12)], [i // 2 for i in range(12)], bootstrap=200)
    assert values["attribute_accuracy"].value == pytest.approx(8 / 12)
    assert values["attribute_accuracy_any"].value == pytest.approx(5 / 6)
    assert values["attribute_accuracy"].details["prompts"] == 6 and values["attribute_accuracy"].n == 12
    assert "prompts resampled" in values["attribute_accuracy"].details["ci"]
    # the replicates resample the 6 prompts (their two images together), not the 12 images
    counts = resample_counts(6, 200, DEFAULT_SEED).numpy()
    right_per_prompt = np.array([1, 1, 0, 2, 2, 2.0])
    share, anyone = counts @ right_per_prompt / (counts @ np.full(6, 2.0)), counts @ (right_per_prompt > 0) / 6
    assert np.allclose(values["attribute_accuracy"].bootstrap, centre_replicates(share, 8 / 12, 0.0, 1.0))
    assert np.allclose(values["attribute_accuracy_any"].bootstrap, centre_replicates(anyone, 5 / 6, 0.0, 1.0))
    assert (anyone >= share).all()


def test_skills_give_whole_prompt_accuracy_per_skill_and_nothing_without_skills():
    # v1 scenes naming skills of their own (a shapes-skills skill name would ask for that suite's judge)
    records = _records(30, skills=["tally", "spatial", "colour_binding"])
    seen = [_wrong(r) if r["skill"] == "spatial" else r for r in records]
    values = _accuracy(seen, records, None)
    assert values["attribute_accuracy_tally"].value == 1.0
    assert values["attribute_accuracy_spatial"].value == 0.0
    assert values["attribute_accuracy_colour_binding"].value == 1.0
    assert values["attribute_accuracy"].value == pytest.approx(2 / 3)
    sections = values["attribute_accuracy"].details
    assert sections["per_skill"]["spatial"] == {"accuracy": 0.0, "right": 0, "images": 10, "prompts": 10}
    assert [w["caption"] for w in sections["worst_by_skill"]["spatial"]] == ["x"] * 5
    assert "per_skill" not in _accuracy(seen, _records(30), None)["attribute_accuracy"].details


def test_per_skill_function_takes_judgements_and_records():
    judgements = [{"correct": c} for c in (True, True, False, True)]
    records = [{"skill": "a"}, {"skill": "a"}, {"skill": "b"}, {"skill": "b"}]
    assert per_skill(judgements, records, prompts=[0, 0, 1, 1]) == {
        "a": {"accuracy": 1.0, "right": 2, "images": 2, "prompts": 1},
        "b": {"accuracy": 0.5, "right": 1, "images": 2, "prompts": 1},
    }
    assert per_skill(judgements, [{"objects": []}] * 4) == {}


@pytest.mark.parametrize("skill", ["count", "any", "Two Objects"])
def test_a_skill_that_cannot_name_a_metric_is_refused(skill):
    with pytest.raises(InputError, match="skill") as e:
        _accuracy(_records(2), _records(2, skills=[skill]), None)
    assert "\n" not in str(e.value)


def _diversity(features: torch.Tensor, prompts: list[int], attributes: torch.Tensor | None = None) -> dict:
    metric = PromptDiversity(MetricContext(SHAPES, bootstrap=20))
    outputs = {"features": features, "prompts": prompts}
    if attributes is not None:
        outputs["attributes"] = attributes
    metric.update(outputs)
    return {v.name: v.value for v in metric.compute()}


def test_prompt_diversity_is_zero_for_a_constant_generator_and_the_mean_pairwise_distance_otherwise():
    prompts = [0, 0, 0, 1, 1, 1]
    scenes = encode(_records(2)).clamp_min(0)
    constant = _diversity(torch.ones(6, 4), prompts, scenes[[0, 0, 0, 1, 1, 1]])
    assert constant == {"prompt_diversity": 0.0, "prompt_diversity_scenes": 1.0}
    # prompt 0: three points on a line at 0, 3, 6 (pairwise 3, 6, 3); prompt 1: the same point three times
    features = torch.zeros(6, 4)
    features[1, 0], features[2, 0] = 3.0, 6.0
    spread = _diversity(features, prompts, scenes[[0, 1, 1, 1, 1, 1]])
    assert spread["prompt_diversity"] == pytest.approx((4.0 + 0.0) / 2)
    assert spread["prompt_diversity_scenes"] == pytest.approx((2 + 1) / 2)
    with pytest.raises(InputError, match="images_per_prompt"):
        _diversity(torch.ones(3, 4), [0, 1, 2])


def test_memorisation_closed_forms():
    g = torch.Generator().manual_seed(0)
    train = torch.randn(50, 4, generator=g)
    renders = train[:20] + 0.5 * torch.randn(20, 4, generator=g)  # fresh renders: near, never on, a training point
    training = TrainingSet(train, renders)
    floor = noise_floor(training, 0.05)
    assert 0 < floor < float(torch.cdist(renders, train).min(1).values.max())

    def share(features: torch.Tensor) -> float:
        metric = Memorisation(MetricContext(SHAPES, bootstrap=10, training=training, options={"quantile": 0.05}))
        metric.update({"features": features})
        return metric.compute()[0].value

    assert share(train[:30]) == 1.0  # a generator handing back training images
    assert share(train[:30] + 100.0) == 0.0  # far from every training image
    assert share(torch.cat([train[:10], train[:10] + 100.0])) == 0.5


def test_scene_copies_count_training_scenes_drawn_instead_of_the_prompts_own():
    records = _records(20)
    training = TrainingSet(torch.zeros(1, 4), torch.zeros(2, 4), training_scenes(records[:10]))
    # images 0-9 show another training scene, 10-14 their own scene, 15-19 an unseen wrong scene
    seen = [records[(i + 1) % 10] for i in range(10)] + records[10:15] + [_wrong(r) for r in records[15:]]
    assert all(scene_key(canonical(_wrong(r))) not in training.scenes for r in records[15:])
    metric = Memorisation(MetricContext(SHAPES, bootstrap=0, training=training))
    metric.update(
        {
            "features": torch.ones(20, 4),
            "attributes": encode(seen).clamp_min(0),
            "captions": ["x"] * 20,
            "attribute_records": records[:10] + records[10:],
        }
    )
    values = {v.name: v.value for v in metric.compute()}
    expected_copies = sum(
        scene_key(canonical(s)) != scene_key(canonical(r)) for s, r in zip(seen[:10], records[:10], strict=True)
    )
    assert values["scene_copies"] == pytest.approx(expected_copies / 20)


def test_paired_drop_closed_forms_and_pairing():
    rng = np.random.default_rng(0)
    clean = (rng.random(400) < 0.7).astype(float)
    changed = clean * (rng.random(400) < 0.8)  # each right unit stays right with probability 0.8
    ones = np.ones(400)
    accuracy, drop = paired_drop("typo", (clean, ones), (changed, ones), {}, resamples=300, seed=1)
    assert accuracy.value == pytest.approx(changed.mean()) and drop.value == pytest.approx(
        clean.mean() - changed.mean()
    )
    assert drop.ci_low > 0  # every unit can only lose: the drop is significant
    same = paired_drop("typo", (clean, ones), (clean, ones), {}, resamples=100)[1]
    assert (same.value, same.ci_low, same.ci_high) == (0.0, 0.0, 0.0)
    # the paired interval is narrower than one that ignores the pairing (independent resamples)
    width = drop.ci_high - drop.ci_low
    unpaired = np.array(
        paired_drop("x", (clean, ones), (clean, ones), {}, resamples=300, seed=1)[0].bootstrap
    ) - np.array(paired_drop("x", (changed, ones), (changed, ones), {}, resamples=300, seed=2)[0].bootstrap)
    assert width < np.percentile(unpaired, 97.5) - np.percentile(unpaired, 2.5)
