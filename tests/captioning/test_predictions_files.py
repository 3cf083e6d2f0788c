"""Model kind `predictions = "FILE"`: captions written elsewhere score like the same captions made in-process,
in each format, on the same board; every mistake is one line naming the file and the entry, before any work."""

import json

import pytest

from xmbench.cli import main
from xmbench.data import get_suite
from xmbench.results import read_record

SAMPLES = 20
CAPTION = "a small red circle"  # the constant calibration captioner's caption is not needed: any fixed one


def _config(models: str) -> str:
    return (
        f'[suite]\nname = "shapes"\n[evaluation]\ntask = "image-to-text"\nsamples = {SAMPLES}\n'
        'metrics = ["caption_correctness", "bleu", "rouge_l"]\nbootstrap = 10\nchunk = 8\ndevice = "cpu"\n' + models
    )


def _model(name: str, path) -> str:
    return f'\n[[models]]\nname = "{name}"\npredictions = "{path}"\n'


def _references():
    suite = get_suite("shapes")
    indices = suite.image_indices("test")[:SAMPLES]
    return indices, [refs[0] for refs in suite.references("test", indices)]


def _write(tmp_path, fmt: str, indices, captions):
    if fmt == "coco":
        path = tmp_path / "results.json"
        path.write_text(json.dumps([{"image_id": i, "caption": c} for i, c in zip(indices, captions, strict=True)]))
    elif fmt == "object":
        path = tmp_path / "by-index.json"
        path.write_text(json.dumps({str(i): c for i, c in zip(indices, captions, strict=True)}))
    else:
        path = tmp_path / "by-index.jsonl"
        path.write_text(
            "\n".join(json.dumps({"index": i, "caption": c}) for i, c in zip(indices, captions, strict=True))
        )
    return path


def test_every_format_scores_the_same_captions_alike_on_one_board(tmp_path):
    indices, captions = _references()
    models = "".join(_model(fmt, _write(tmp_path, fmt, indices, captions)) for fmt in ("coco", "object", "jsonl"))
    (tmp_path / "run.toml").write_text(_config(models))
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    records = [read_record(p) for p in sorted((tmp_path / "out" / "results").glob("*.json"))]
    assert {r["model"]["kind"] for r in records} == {"predictions"} and len(records) == 3
    values = [{k: v["value"] for k, v in r["metrics"].items()} for r in records]
    assert values[0] == values[1] == values[2]
    assert values[0]["bleu_4"] == pytest.approx(1.0)  # a reference caption scores perfectly against itself
    formats = {r["model"]["name"]: r["model"]["outputs"]["format"] for r in records}
    assert formats == {
        "coco": "COCO results",
        "object": "JSON object by sample index",
        "jsonl": "JSON lines by sample index",
    }
    assert records[0]["model"]["outputs"]["files"] == 1 and records[0]["model"]["outputs"]["sha256"]
    board = (tmp_path / "out" / "leaderboards" / "shapes-captioning.md").read_text()
    assert all(name in board for name in ("coco", "object", "jsonl"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("duplicate", "image id 0 appears twice"),
        ("missing", "no caption for the image of sample index"),
        ("number", "entry 2: caption must be a string, not int"),
    ],
)
def test_mistakes_are_one_line_naming_the_file_and_entry(tmp_path, capsys, change, message):
    indices, captions = _references()
    entries = [{"image_id": i, "caption": c} for i, c in zip(indices, captions, strict=True)]
    if change == "duplicate":
        entries.append(dict(entries[0]))
    if change == "missing":
        entries.pop(4)
    if change == "number":
        entries[2]["caption"] = 7
    path = tmp_path / "results.json"
    path.write_text(json.dumps(entries))
    (tmp_path / "run.toml").write_text(_config(_model("m", path)))
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "results.json" in err, err
    assert not (tmp_path / "out" / "results").exists()


def test_predictions_cannot_serve_a_text_to_image_run(tmp_path, capsys):
    path = _write(tmp_path, "coco", *_references())
    (tmp_path / "run.toml").write_text(f"[evaluation]\nsamples = 100\n{_model('m', path)}")
    assert main(["run", str(tmp_path / "run.toml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "text-to-image runs cannot score" in err and "samples = DIR" in err, err
