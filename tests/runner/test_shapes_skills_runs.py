"""`xmbench run` on shapes-skills, both directions: the per-skill judgements reach the result records."""

import json
import textwrap

import pytest

from xmbench.cli import main
from xmbench.data.shapes_skills.vocabulary import SKILLS
from xmbench.metrics.attributes_skills import ATTRIBUTES

TEXT_TO_IMAGE = textwrap.dedent("""\
    [suite]
    name = "shapes-skills"

    [evaluation]
    samples = 120
    reference_samples = 120
    metrics = ["attribute_accuracy"]
    bootstrap = 20
    chunk = 60
    device = "cpu"

    [[models]]
    name = "real"
    calibration = "real"

    [[models]]
    name = "noise"
    calibration = "noise"
    """)

IMAGE_TO_TEXT = textwrap.dedent("""\
    [suite]
    name = "shapes-skills"

    [evaluation]
    task = "image-to-text"
    samples = 60
    metrics = ["caption_correctness"]
    bootstrap = 20
    chunk = 30
    device = "cpu"

    [[models]]
    name = "real"
    captioner = "real"

    [[models]]
    name = "constant"
    captioner = "constant"
    """)


def _run(tmp_path, config):
    cfg = tmp_path / "run.toml"
    cfg.write_text(config)
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    return {p.name.split("--")[0]: json.loads(p.read_text()) for p in (tmp_path / "out" / "results").glob("*.json")}


@pytest.mark.slow
def test_text_to_image_run_judges_every_skill_with_the_skills_evaluator(tmp_path):
    records = _run(tmp_path, TEXT_TO_IMAGE)
    real, noise = records["real"], records["noise"]
    assert real["protocol"]["extractor"]["id"] == "shapes-skills-v1"  # the suite's default evaluator
    names = {"attribute_accuracy", *(f"attribute_accuracy_{k}" for k in (*ATTRIBUTES, *SKILLS))}
    assert names <= set(real["metrics"])
    assert real["metrics"]["attribute_accuracy"]["value"] >= 0.9
    assert all(real["metrics"][f"attribute_accuracy_{s}"]["value"] >= 0.8 for s in SKILLS)
    assert noise["metrics"]["attribute_accuracy"]["value"] <= 0.05


@pytest.mark.slow
def test_image_to_text_run_judges_captions_per_skill(tmp_path):
    records = _run(tmp_path, IMAGE_TO_TEXT)
    real, constant = records["real"]["metrics"], records["constant"]["metrics"]
    assert real["caption_correctness"]["value"] == 1.0 and real["caption_hallucination"]["value"] == 0.0
    assert all(real[f"caption_correctness_{s}"]["value"] == 1.0 for s in SKILLS)
    assert real["caption_correctness"]["details"]["judge"].startswith("shapes-skills caption reader")
    assert constant["caption_correctness"]["value"] < 0.1
