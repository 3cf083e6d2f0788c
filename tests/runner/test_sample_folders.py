"""Model kind `samples = "DIR"`: images generated elsewhere score like the same images generated in-process,
in each layout; the identity is the images' content; every mistake is one located line before any work."""

import json
import shutil

import pytest
from PIL import Image

from baselines.calibration import RetrievalGenerator
from xmbench.cli import main
from xmbench.results import read_record
from xmbench.runner.config import parse_config
from xmbench.runner.models import ModelContext, check_models, prepare_model

SAMPLES = 40
METRICS = '["fd", "kid", "is", "attribute_accuracy"]'


def _config(weights, models: str, extra: str = "") -> str:
    """A tiny run; weights None: the shipped shapes-v1 evaluator (meaningful features)."""
    weights = f'weights = "{weights}"\n' if weights else ""
    return (
        f'[suite]\nname = "shapes"\n[evaluation]\nsamples = {SAMPLES}\nreference_samples = {SAMPLES}\n'
        f'{weights}metrics = {METRICS}\nbootstrap = 10\ndevice = "cpu"\n{extra}'
        f"[metric_options.kid]\nsubsets = 4\nsubset_size = 20\n{models}"
    )


def records_by_model(out) -> dict:
    """Model name -> result record path in a run's output folder."""
    return {p.name.split("--")[0]: p for p in sorted((out / "results").glob("*.json"))}


def _samples(name: str, folder) -> str:
    return f'\n[[models]]\nname = "{name}"\nsamples = "{folder}"\n'


@pytest.fixture(scope="module")
def generated(shapes):
    """The in-process generator's images for the evaluation captions (uint8 numpy, N,3,H,W) and the captions."""
    captions = shapes.captions("test", range(SAMPLES))
    return RetrievalGenerator.for_suite(shapes).generate(captions, 0).numpy(), captions


def _write(images, folder, scale: int = 1, name: str = "{i:06d}.png") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, a in enumerate(images):
        im = Image.fromarray(a.transpose(1, 2, 0))
        if scale != 1:
            im = im.resize((im.width * scale, im.height * scale), Image.Resampling.BICUBIC)
        target = folder / name.format(i=i)
        target.parent.mkdir(parents=True, exist_ok=True)
        im.save(target)


def test_folders_score_like_the_generator_in_process(tmp_path, generated):
    images, _ = generated
    _write(images, tmp_path / "same")
    _write(images, tmp_path / "upscaled", scale=2)
    models = '\n[[models]]\nname = "retrieval"\ncalibration = "retrieval"\n'
    models += _samples("same", tmp_path / "same") + _samples("upscaled", tmp_path / "upscaled")
    (tmp_path / "run.toml").write_text(_config(None, models))
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    records = records_by_model(tmp_path / "out")
    reference, same, upscaled = (read_record(records[m])["metrics"] for m in ("retrieval", "same", "upscaled"))
    assert same == reference  # lossless PNGs at the suite's size: the very same pixels, the very same numbers
    # 2x bicubic up then the protocol's bicubic down moves pixels by ~1.5 grey levels on average (max 42
    # at edges): every metric moves by far less than sampling moves it, under a tenth of its 95% interval
    # (measured: FD 1180.1 -> 1191.5 with interval 923..1357; KID by 32 in an interval 560 wide), or 2%
    for name, ref in reference.items():
        width = ref["ci_high"] - ref["ci_low"] if ref.get("ci_high") is not None else 0.0
        assert abs(upscaled[name]["value"] - ref["value"]) <= max(0.1 * width, 0.02 * abs(ref["value"])), name
    board = (tmp_path / "out" / "leaderboards" / "shapes.md").read_text()
    assert all(f" {name} |" in board for name in ("**same**", "**upscaled**", "*retrieval*"))  # one board, all kinds
    model = read_record(records["upscaled"])["model"]
    assert model["kind"] == "samples"
    assert model["outputs"]["files"] == SAMPLES and model["outputs"]["format"] == "file names"
    assert model["outputs"]["images_per_prompt"] == {"min": 1, "max": 1}


def _prepared(text, shapes, tmp_path):
    config = parse_config(text, str(tmp_path / "run.toml"))
    ctx = ModelContext(config, shapes, shapes.eval_split, tmp_path / "train", "cpu", quiet=True)
    check_models(ctx)
    return prepare_model(ctx, config.models[0])


def test_the_identity_is_the_content_not_the_path(tmp_path, shapes, generated, random_evaluator):
    images, captions = generated
    _write(images, tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    first = _prepared(_config(random_evaluator, _samples("m", tmp_path / "a")), shapes, tmp_path)
    moved = _prepared(_config(random_evaluator, _samples("m", tmp_path / "b")), shapes, tmp_path)
    assert first.model_hash == moved.model_hash
    _write(images[::-1][:1], tmp_path / "b")  # one image changed
    changed = _prepared(_config(random_evaluator, _samples("m", tmp_path / "b")), shapes, tmp_path)
    assert changed.model_hash != first.model_hash


def test_manifest_and_geneval_layouts_with_several_images_per_prompt(tmp_path, shapes, generated, random_evaluator):
    images, captions = generated
    _write(images, tmp_path / "manifest" / "img", name="{i}.jpg")
    lines = [{"image": f"img/{i}.jpg", "caption": c, "index": i} for i, c in enumerate(captions)]
    lines.append({"image": "img/0.jpg", "caption": captions[0], "index": 0})  # a second image of prompt 0
    (tmp_path / "manifest" / "samples.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    for i, c in enumerate(captions):
        prompt = tmp_path / "geneval" / f"{i:05d}"
        _write(images[i : i + 1].repeat(2, 0), prompt / "samples", name="{i:04d}.png")
        (prompt / "metadata.jsonl").write_text(json.dumps({"prompt": c, "tag": "shapes"}))
    for layout, most in (("manifest", 2), ("geneval", 2)):
        model = _prepared(_config(random_evaluator, _samples("m", tmp_path / layout)), shapes, tmp_path)
        outputs = model.info["outputs"]
        assert outputs["format"] == layout and outputs["images_per_prompt"] == {
            "min": 1 if most == 2 and layout == "manifest" else 2,
            "max": most,
        }
        served = model.load().stored_images([0, 1])
        assert tuple(served.shape) == (2, 3, 32, 32)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "has no image for sample index 7"),
        ("caption", "is not evaluation caption 3"),
        ("escape", "outside the dataset folder"),
        ("link", "outside"),
        ("nofolder", "does not exist or is not a folder"),
    ],
)
def test_mistakes_are_one_line_before_any_work(tmp_path, capsys, generated, random_evaluator, setup, message):
    images, captions = generated
    folder = tmp_path / "samples"
    _write(images, folder)
    if setup == "missing":
        (folder / "000007.png").unlink()
    if setup in ("caption", "escape", "link"):
        lines = [{"image": f"{i:06d}.png", "caption": c, "index": i} for i, c in enumerate(captions)]
        lines[3]["caption"] = "a purple elephant" if setup == "caption" else lines[3]["caption"]
        lines[5]["image"] = "../secret.png" if setup == "escape" else lines[5]["image"]
        (folder / "samples.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    if setup == "link":
        outside = tmp_path / "elsewhere.png"
        shutil.copy(folder / "000005.png", outside)
        (folder / "000005.png").unlink()
        (folder / "000005.png").symlink_to(outside)
    if setup == "nofolder":
        shutil.rmtree(folder)
    (tmp_path / "run.toml").write_text(_config(random_evaluator, _samples("m", folder)))
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out" / "cache" / "reference").exists()  # refused before the reference statistics


def test_a_samples_folder_cannot_serve_an_image_to_text_run(tmp_path, capsys, generated):
    _write(generated[0][:2], tmp_path / "samples")
    text = f'[evaluation]\ntask = "image-to-text"\nsamples = 2\n{_samples("m", tmp_path / "samples")}'
    (tmp_path / "run.toml").write_text(text)
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "image-to-text runs cannot score" in err and "predictions = FILE" in err, err


@pytest.mark.filterwarnings("ignore::UserWarning")  # 40 samples < 256 dimensions: FD is rank-deficient
def test_a_moved_folder_reuses_its_record(tmp_path, generated, random_evaluator):
    _write(generated[0], tmp_path / "first")
    config = _config(random_evaluator, _samples("m", tmp_path / "first")).replace(METRICS, '["fd", "kid"]')
    (tmp_path / "run.toml").write_text(config)
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    (record,) = (tmp_path / "out" / "results").glob("*.json")
    created = read_record(record)["run"]["created"]
    (tmp_path / "first").rename(tmp_path / "moved")
    (tmp_path / "run.toml").write_text(config.replace(str(tmp_path / "first"), str(tmp_path / "moved")))
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert read_record(record)["run"]["created"] == created  # same content, same identity: nothing re-scored
