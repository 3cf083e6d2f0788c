"""Several images per prompt, per-skill breakdown and memorisation through the runner: one image per prompt
keeps every cache key; K images give per-prompt diversity and the any-image share; skills reach the
record, the skills board and the report; every new option is checked before any work."""

import json
from pathlib import Path

import pytest
import torch
from conftest import records_by_model
from scene_generators import Rerender, SkilledShapes, TrainingImages

from xmbench.cli import main
from xmbench.data import get_suite
from xmbench.extractors import get_extractor
from xmbench.metrics.evaluator import Evaluator
from xmbench.registry import SUITES
from xmbench.results import read_record
from xmbench.runner import resolve
from xmbench.runner.cache import TensorCache
from xmbench.runner.config import default_configs, parse_config
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.generation import image_seed
from xmbench.runner.models import ModelContext, prepare_model
from xmbench.runner.record import cache_key
from xmbench.runner.text_to_image import TextToImage, run_protocol
from xmbench.runner.training_set import build_training_set
from xmbench.seeding import derive_seed

GOLDEN = Path(__file__).with_name("golden_cache_keys.json")
SAMPLES, K = 30, 4
CPU = torch.device("cpu")
NOISE = '\n[[models]]\nname = "noise"\ncalibration = "noise"\n'


def _config(models: str, extra: str = "", suite: str = "shapes", samples: int = SAMPLES) -> str:
    return (
        f'[suite]\nname = "{suite}"\n[evaluation]\nsamples = {samples}\nreference_samples = {samples}\n'
        f'bootstrap = 20\ndevice = "cpu"\n{extra}\n{models}'
    )


def _model(name: str, source: str, options: str = "") -> str:
    return f'\n[[models]]\nname = "{name}"\nimport = "{source}"\n{options}\n'


def test_one_image_per_prompt_keeps_the_cache_keys_of_the_default_run(tmp_path):
    """The cache keys of the default text -> image run, as the code before images_per_prompt computed them."""
    config = default_configs()[0]
    task = TextToImage(config, TensorCache(tmp_path), CPU, quiet=True)
    captions = task.suite.captions(task.split, range(config.samples))
    protocol = run_protocol(config, task.split, captions, resolve.extractor(config, CPU).info)
    assert "images_per_prompt" not in protocol and "robustness" not in protocol
    ctx = ModelContext(config, task.suite, task.split, tmp_path / "train", CPU, quiet=True)
    keys = {
        spec.name: cache_key(prepare_model(ctx, spec), task.suite, protocol, task.versions) for spec in config.models
    }
    assert keys == json.loads(GOLDEN.read_text()), "a default record's cache key moved: is it deliberate?"


@pytest.fixture(scope="module")
def skilled_suite():
    SUITES.register("shapes-skilled", SkilledShapes, summary="shapes with a skill per prompt (tests)")
    yield
    SUITES.remove("shapes-skilled")


@pytest.fixture(scope="module")
def multi_run(tmp_path_factory, skilled_suite):
    """K = 4 images per prompt on the skilled suite: a diverse generator, a collapsed one, the real images."""
    root = tmp_path_factory.mktemp("multi")
    models = (
        _model("rerender", "scene_generators:Rerender")
        + _model("collapsed", "scene_generators:Rerender", "options = { constant = true }")
        + '\n[[models]]\nname = "real"\ncalibration = "real"\n'
    )
    extra = (
        f'images_per_prompt = {K}\nmetrics = ["attribute_accuracy", "fd", "prompt_diversity", "memorisation"]\n'
        "[metric_options.memorisation]\ntrain_samples = 400\nfloor_renders = 100\n"
    )
    (root / "run.toml").write_text(_config(models, extra, suite="shapes-skilled"))
    torch.set_num_threads(1)
    assert main(["run", str(root / "run.toml"), "--out", str(root / "out"), "--quiet"]) == 0
    return root, {name: read_record(path) for name, path in records_by_model(root / "out").items()}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # 120 images < 256 dimensions: FD is rank-deficient
def test_several_images_per_prompt_show_diversity_and_the_any_image_share(multi_run):
    _, records = multi_run
    diverse, collapsed, real = records["rerender"], records["collapsed"], records["real"]
    assert diverse["protocol"]["images_per_prompt"] == K
    for record in (diverse, collapsed, real):
        metrics = record["metrics"]
        assert metrics["fd_shapes"]["n"] == SAMPLES * K and metrics["attribute_accuracy"]["n"] == SAMPLES * K
        assert metrics["attribute_accuracy"]["details"]["prompts"] == SAMPLES
        assert metrics["attribute_accuracy_any"]["value"] >= metrics["attribute_accuracy"]["value"]
        assert set(record["per_attribute"]) == {
            "count",
            "shape",
            "colour",
            "size",
            "position",
            "relation",
            "whole caption",
        }
    assert diverse["metrics"]["prompt_diversity"]["value"] > 1.0
    assert diverse["metrics"]["prompt_diversity_scenes"]["value"] >= 1.0
    for record in (collapsed, real):  # one image K times
        assert record["metrics"]["prompt_diversity"]["value"] == 0.0
        assert record["metrics"]["prompt_diversity_scenes"]["value"] == 1.0
    assert diverse["metrics"]["attribute_accuracy"]["value"] > 0.8  # fresh renders of the right scene


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_image_zero_of_each_prompt_is_the_one_image_per_prompt_sample(multi_run, shapes):
    _, records = multi_run
    strip = records["rerender"]["samples"]
    captions = shapes.captions("test", range(len(strip["captions"])))
    chunk_seed = derive_seed(image_seed(derive_seed(0, "generation"), 0), "chunk", 0)
    expected = Rerender().generate(captions, chunk_seed)
    from xmbench.results.samples import decode_strip

    assert image_seed(11, 0) == 11 and image_seed(11, 1) != image_seed(11, 2)
    assert (decode_strip(strip["png"], len(captions)) == expected.numpy()).all()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_skills_reach_the_record_the_skills_board_and_the_report(multi_run, tmp_path, capsys):
    root, records = multi_run
    record = records["rerender"]
    skills = record["per_skill"]
    assert set(skills) == {"single", "pair"} and sum(s["prompts"] for s in skills.values()) == SAMPLES
    assert sum(s["images"] for s in skills.values()) == SAMPLES * K
    for skill, counts in skills.items():
        value = record["metrics"][f"attribute_accuracy_{skill}"]
        assert (
            value["value"] == pytest.approx(counts["right"] / counts["images"]) and value["ci_low"] <= value["ci_high"]
        )
        assert len(record["worst_by_skill"][skill]) == 5
    out = tmp_path / "skills.md"
    assert main(["leaderboard", str(root / "out" / "results"), "--out", str(out), "--skills"]) == 0
    board = out.read_text()
    assert "| model | pair | single | mean |" in board and "| real |" in board and "| rerender |" in board
    assert (tmp_path / "skills.csv").read_text().count("\n") == 4
    page = (root / "out" / "report.html").read_text()
    assert "Per-skill accuracy" in page and "worst prompts of skill single" in page
    capsys.readouterr()
    # records without skills: no skills board, one line
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "r.json").write_text(json.dumps({**record, "per_skill": None}))
    assert main(["leaderboard", str(plain), "--out", str(tmp_path / "none.md"), "--skills"]) == 2
    assert "no record holds per-skill values" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_memorisation_through_the_run_records_its_noise_floor(multi_run):
    _, records = multi_run
    details = records["rerender"]["metrics"]["memorisation"]["details"]
    assert details["training"] == {"split": "train", "images": 400} and details["noise_floor"]["renders"] == 100
    assert records["rerender"]["metrics"]["memorisation"]["value"] <= 0.05  # fresh renders copy nothing
    assert records["real"]["metrics"]["scene_copies"]["value"] == 0.0  # the right scene is never a copied one


def test_memorisation_is_one_for_training_images_and_near_zero_for_held_out_renders(tmp_path, shapes):
    config = parse_config(
        '[evaluation]\nmetrics = ["memorisation"]\n[metric_options.memorisation]\ntrain_samples = 400\n'
        'floor_renders = 200\n[[models]]\ncalibration = "noise"\n'
    )
    extractor = CachingExtractor(get_extractor("shapes-v1"), TensorCache(tmp_path))
    training = build_training_set(config, shapes, extractor)
    batch = shapes.batch("test", range(200))

    def share(images: torch.Tensor) -> float:
        evaluator = Evaluator(extractor, ["memorisation"], bootstrap=0, training=training)
        evaluator.update(images, batch.captions, batch.attributes)
        return evaluator.compute()["memorisation"].value

    assert share(TrainingImages(limit=400).generate(batch.captions, 0)) == 1.0
    assert share(batch.images) <= 0.05  # real held-out renders of the prompts


def test_degrading_one_attribute_moves_that_attribute_and_its_skill_only():
    """The ladder: images with only the position wrong lower position accuracy and the one-object skill;
    the other attributes and the two-object skill do not move."""
    suite = SkilledShapes()
    captions, records = suite.captions("test", range(200)), suite.records("test", range(200))
    extractor = get_extractor("shapes-v1")
    values = {}
    for name, generator in (("clean", Rerender()), ("degraded", Rerender(degrade="position"))):
        evaluator = Evaluator(extractor, ["attribute_accuracy"], bootstrap=0)
        evaluator.update(generator.generate(captions, 5), captions, records)
        values[name] = {k: v.value for k, v in evaluator.compute().items()}
    clean, degraded = values["clean"], values["degraded"]
    assert clean["attribute_accuracy_position"] - degraded["attribute_accuracy_position"] > 0.8
    assert clean["attribute_accuracy_single"] - degraded["attribute_accuracy_single"] > 0.8
    for unmoved in ("count", "shape", "colour", "size", "relation"):
        assert abs(clean[f"attribute_accuracy_{unmoved}"] - degraded[f"attribute_accuracy_{unmoved}"]) < 0.03, unmoved
    assert abs(clean["attribute_accuracy_pair"] - degraded["attribute_accuracy_pair"]) < 0.03


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("images_per_prompt = 0", "[evaluation] images_per_prompt must be at least 1, not 0"),
        ('images_per_prompt = "4"', "[evaluation] images_per_prompt must be an integer"),
        ("images_per_prompt = true", "[evaluation] images_per_prompt must be an integer"),
        ('robustness = ["typos"]', "unknown robustness variant 'typos'; did you mean 'typo'?"),
        ('robustness = ["photometric"]', "robustness variant 'photometric' applies to image-to-text runs"),
        ('robustness = ["typo", "typo"]', "repeats a variant"),
        ('robustness = ["typo"]\nmetrics = ["fd"]', "add 'attribute_accuracy' to [evaluation] metrics"),
        ('metrics = ["prompt_diversity"]', "prompt_diversity compares a prompt's images: set [evaluation] images_per"),
        (
            'metrics = ["memorisation"]\n[metric_options.memorisation]\ntrain_samples = 50000',
            "train_samples = 50000, but split 'train' holds 20000",
        ),
        (
            'metrics = ["memorisation"]\n[metric_options.memorisation]\nquantile = 0.9',
            "option 'quantile' of metric 'memorisation' must be at most 0.5",
        ),
    ],
)
def test_new_options_are_checked_before_any_work(tmp_path, capsys, extra, message):
    (tmp_path / "run.toml").write_text(_config(NOISE, extra))
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "run.toml:" in err, err
    assert not (tmp_path / "out" / "cache" / "reference").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("images_per_prompt = 2", "images_per_prompt applies to text-to-image runs only"),
        ('robustness = ["typo"]', "robustness variant 'typo' applies to text-to-image runs"),
        ('robustness = ["photometric"]\nmetrics = ["cider_d"]', "add 'caption_correctness' to [evaluation] metrics"),
    ],
)
def test_captioning_options_are_checked_before_any_work(tmp_path, capsys, extra, message):
    text = f'[evaluation]\ntask = "image-to-text"\nsamples = 4\n{extra}\n[[models]]\ncaptioner = "constant"\n'
    (tmp_path / "run.toml").write_text(text)
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_robustness_needs_a_rewrite_table_and_prompts_from_the_model(tmp_path, capsys, shapes):
    class Plain(type(shapes)):
        rewrite_variants = ()

    SUITES.register("shapes-plain", Plain, summary="shapes without rewrites (tests)")
    try:
        (tmp_path / "run.toml").write_text(
            _config(NOISE, 'robustness = ["typo"]\nmetrics = ["attribute_accuracy"]', "shapes-plain")
        )
        assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out")]) == 2
        assert "suite 'shapes' has no rewrite table; drop 'typo'" in capsys.readouterr().err
    finally:
        SUITES.remove("shapes-plain")
    folder = tmp_path / "samples"
    folder.mkdir()
    (tmp_path / "run.toml").write_text(
        _config(
            f'\n[[models]]\nname = "m"\nsamples = "{folder}"\n',
            'robustness = ["typo"]\nmetrics = ["attribute_accuracy"]',
        )
    )
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out")]) == 2
    assert "holds outputs for the evaluation inputs only" in capsys.readouterr().err


def test_a_samples_folder_feeds_its_first_k_images_and_refuses_fewer(tmp_path, capsys, shapes):
    """GenEval layout, two images per prompt (two renders of its scene): K = 2 feeds both."""
    from PIL import Image

    captions, records = shapes.captions("test", range(4)), shapes.records("test", range(4))
    for i, (caption, record) in enumerate(zip(captions, records, strict=True)):
        prompt = tmp_path / "geneval" / f"{i:05d}"
        (prompt / "samples").mkdir(parents=True)
        (prompt / "metadata.jsonl").write_text(json.dumps({"prompt": caption}))
        for k in range(2):
            Image.fromarray(shapes.render(record, seed=k).transpose(1, 2, 0)).save(prompt / "samples" / f"{k:04d}.png")
    models = f'\n[[models]]\nname = "m"\nsamples = "{tmp_path / "geneval"}"\n'
    extra = 'metrics = ["attribute_accuracy", "prompt_diversity"]\nimages_per_prompt = 2'
    (tmp_path / "run.toml").write_text(_config(models, extra, samples=4))
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    (path,) = (tmp_path / "out" / "results").glob("*.json")
    record = read_record(path)
    assert record["model"]["outputs"]["used"] == "the first 2 images of each prompt"
    assert record["metrics"]["attribute_accuracy"]["n"] == 8 and record["metrics"]["prompt_diversity"]["value"] > 0
    (tmp_path / "run.toml").write_text(_config(models, extra.replace("= 2", "= 3"), samples=4))
    capsys.readouterr()
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out3")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has 2 images for sample index 0; images_per_prompt = 3 needs 3" in err, err


def test_the_golden_keys_are_those_of_the_default_models():
    assert set(json.loads(GOLDEN.read_text())) == {spec.name for spec in default_configs()[0].models}
    assert get_suite("shapes").rewrite_variants == ("paraphrase", "typo", "clause_order")
