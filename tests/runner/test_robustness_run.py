"""Robustness through the runner: rewritten prompts judged against the original records, photometric
changes of a captioner's images, each with its paired drop from the clean inputs."""

import pytest
import torch
from conftest import records_by_model

from xmbench.cli import main
from xmbench.results import read_record

SAMPLES = 40
VARIANTS = ("paraphrase", "typo", "clause_order")


def _run(root, text: str) -> dict:
    (root / "run.toml").write_text(text)
    torch.set_num_threads(1)
    assert main(["run", str(root / "run.toml"), "--out", str(root / "out"), "--quiet"]) == 0
    return {name: read_record(path) for name, path in records_by_model(root / "out").items()}


@pytest.mark.slow
def test_rewritten_prompts_are_judged_against_the_original_records(tmp_path, shapes):
    """A generator that only reads the suite's grammar (black images otherwise): paraphrases and typos
    lose everything, clause order loses nothing; the real images have no rewrite to look up."""
    text = (
        f'[suite]\nname = "shapes"\n[evaluation]\nsamples = {SAMPLES}\nreference_samples = {SAMPLES}\n'
        'bootstrap = 50\ndevice = "cpu"\nmetrics = ["attribute_accuracy"]\n'
        f"robustness = {list(VARIANTS)!r}\n".replace("'", '"')
        + '[[models]]\nname = "grammar"\nimport = "scene_generators:Rerender"\n'
        '[[models]]\nname = "real"\ncalibration = "real"\n'
    )
    records = _run(tmp_path, text)
    grammar, real = records["grammar"]["metrics"], records["real"]["metrics"]
    protocol = records["grammar"]["protocol"]["robustness"]
    assert protocol["variants"] == list(VARIANTS) and protocol["rewrites_version"] == 1
    clean = grammar["attribute_accuracy"]["value"]
    assert clean > 0.8
    for variant in ("paraphrase", "typo"):
        accuracy, drop = grammar[f"robustness_{variant}"], grammar[f"robustness_{variant}_drop"]
        assert accuracy["value"] < 0.1 and drop["details"]["prompts"] == SAMPLES
        assert drop["value"] == pytest.approx(clean - accuracy["value"])  # every prompt applies
        assert drop["ci_low"] > 0.5 and not drop["higher_is_better"]
    two_objects = sum(len(r["objects"]) == 2 for r in shapes.records("test", range(SAMPLES)))
    order = grammar["robustness_clause_order_drop"]
    assert order["details"]["prompts"] == two_objects
    assert order["ci_low"] <= 0.0 <= order["ci_high"] and abs(order["value"]) < 0.15  # the same scene
    assert not any(name.startswith("robustness_") for name in real)
    assert (
        "robustness_typo" in records["grammar"]["metrics"]
        and "robustness_typo" not in records["grammar"]["per_attribute"]
    )


@pytest.mark.slow
def test_photometric_changes_of_a_captioners_images(tmp_path):
    """The real captions ignore the pixels (no drop at all); a captioner reading the scene off the pixels can drop."""
    text = (
        f'[evaluation]\ntask = "image-to-text"\nsamples = {SAMPLES}\nbootstrap = 50\ndevice = "cpu"\n'
        'metrics = ["caption_correctness"]\nrobustness = ["photometric"]\n'
        '[[models]]\ncaptioner = "real"\n[[models]]\nname = "reader"\nimport = "scene_generators:EvaluatorCaptioner"\n'
    )
    records = _run(tmp_path, text)
    real = records["real"]["metrics"]
    assert records["real"]["protocol"]["robustness"]["variants"] == ["photometric"]
    drop = real["robustness_photometric_drop"]
    assert (drop["value"], drop["ci_low"], drop["ci_high"]) == (0.0, 0.0, 0.0)
    assert real["robustness_photometric"]["value"] == real["caption_correctness"]["value"]
    reader = records["reader"]["metrics"]
    assert reader["caption_correctness"]["value"] > 0.8
    assert reader["robustness_photometric_drop"]["value"] == pytest.approx(
        reader["caption_correctness"]["value"] - reader["robustness_photometric"]["value"]
    )
    assert reader["robustness_photometric"]["details"]["photometric"]["version"] == 1


@pytest.mark.slow
def test_each_skills_drop_moves_only_with_that_skill(tmp_path):
    """shapes-skills: a generator that reads every rewrite except the counting prompts' drops on counting
    alone, by its whole clean counting accuracy; the other skills' rewrites give the very same images."""
    samples = 60  # ten prompts per skill
    text = (
        f'[suite]\nname = "shapes-skills"\n[evaluation]\nsamples = {samples}\nreference_samples = {samples}\n'
        'bootstrap = 50\ndevice = "cpu"\nmetrics = ["attribute_accuracy"]\n'
        f"robustness = {list(VARIANTS)!r}\n".replace("'", '"')
        + f'[[models]]\nname = "lookup"\nimport = "scene_generators:SkillsLookup"\noptions = {{ samples = {samples}, '
        'deaf = "counting" }\n'
    )
    metrics = _run(tmp_path, text)["lookup"]["metrics"]
    assert metrics["attribute_accuracy_counting"]["value"] > 0.8
    for variant in VARIANTS:
        for skill in ("counting", "binding", "occlusion", "comparative", "position", "relation"):
            name = f"robustness_{variant}_{skill}_drop"
            if variant == "clause_order" and skill == "position":
                assert name not in metrics  # one thing per prompt: no rewrite
                continue
            drop = metrics[name]
            assert drop["details"]["skill"] == skill and drop["details"]["variant"] == variant
            if skill == "counting":
                clean = drop["details"]["clean"]  # over the prompts the variant applies to
                assert clean > 0.8 and drop["value"] == pytest.approx(clean), name
                assert metrics[f"robustness_{variant}_{skill}"]["value"] == 0.0
            else:
                assert drop["value"] == 0.0 and (drop["ci_low"], drop["ci_high"]) == (0.0, 0.0), name
        overall = metrics[f"robustness_{variant}_drop"]
        assert 0.0 < overall["value"] < metrics[f"robustness_{variant}_counting_drop"]["value"]
