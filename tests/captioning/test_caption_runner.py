"""The image -> text runner: config, records, leaderboard, reuse, the gate, bad inputs."""

import json
import textwrap
from pathlib import Path

import pytest

from xmbench.cli import main
from xmbench.results import read_record
from xmbench.runner.config import default_configs, parse_config

HERE = Path(__file__).parent

CONFIG = textwrap.dedent("""\
    [suite]
    name = "shapes"

    [evaluation]
    task = "image-to-text"
    samples = 60
    metrics = ["caption_correctness", "caption_r_precision", "clip_s", "refclip_s", "diversity"]
    bootstrap = 50
    chunk = 25
    device = "cpu"

    [metric_options.caption_r_precision]
    candidates = 10
    folds = 2

    [[models]]
    name = "real"
    captioner = "real"

    [[models]]
    name = "constant"
    captioner = "constant"

    [[models]]
    name = "wrong-colour"
    import = "toy_captioners:WrongColour"

    [[models]]
    name = "empty"
    import = "toy_captioners:Empty"

    [[models]]
    name = "retrieval"
    captioner = "retrieval"
    options = { limit = 400, components = 16 }
    """)


@pytest.fixture(scope="module")
def caption_run(tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("captioning")
    cfg = root / "captioning.toml"
    cfg.write_text(CONFIG)
    out = root / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    return cfg, out


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(HERE))
    yield mp
    mp.undo()


def _records(out):
    return {p.name.split("--")[0]: p for p in sorted((out / "results").glob("*.json"))}


def test_records_carry_the_task_and_the_judge(caption_run):
    _, out = caption_run
    paths = _records(out)
    assert set(paths) == {"real", "constant", "wrong-colour", "empty", "retrieval"}
    records = {k: read_record(p) for k, p in paths.items()}
    real, wrong, empty = records["real"], records["wrong-colour"], records["empty"]
    assert all(r["task"] == "image-to-text" and r["protocol"]["task"] == "image-to-text" for r in records.values())
    assert real["model"]["calibration"] == "ceiling" and real["model"]["kind"] == "calibration"
    assert records["constant"]["model"]["calibration"] == "floor"
    assert wrong["model"]["kind"] == "import" and wrong["model"]["calibration"] is None
    retrieval = records["retrieval"]
    assert retrieval["model"]["kind"] == "baseline" and retrieval["model"]["options"] == {
        "limit": 400,
        "components": 16,
    }
    # nearest training image by pixels: often the right scene, never always
    assert 0.02 < retrieval["metrics"]["caption_correctness"]["value"] < 0.9
    assert real["metrics"]["caption_correctness"]["value"] == 1.0
    assert real["metrics"]["caption_r_precision"]["value"] > 0.9
    # every image but the blue ones has a wrong colour; shape, size, position and relation stay right
    m = wrong["metrics"]
    assert m["caption_correctness_shape"]["value"] == 1.0 and m["caption_correctness_relation"]["value"] == 1.0
    assert 0.05 < m["caption_correctness_colour"]["value"] < 0.4
    assert wrong["worst_captions"][0]["note"].startswith("colour of the")
    assert empty["metrics"]["caption_parse_rate"]["value"] == 0.0
    assert empty["metrics"]["caption_correctness"]["value"] == 0.0
    assert wrong["per_attribute"]["shape"] == 1.0 and "whole caption" in wrong["per_attribute"]
    # reference-free and diversity scores: the held-out human captions above the constant floor
    constant = records["constant"]["metrics"]
    assert real["metrics"]["clip_s"]["value"] > constant["clip_s"]["value"]
    assert real["metrics"]["refclip_s"]["value"] > constant["refclip_s"]["value"]
    assert constant["unique"]["value"] == pytest.approx(1 / 60) and real["metrics"]["unique"]["value"] > 0.9
    assert constant["novel"]["value"] == 0.0 and real["metrics"]["clip_s"]["details"]["encoder"] == "shapes-v1"
    assert len(real["samples"]["captions"]) == 8 and real["samples"]["indices"] == list(range(8))
    assert real["protocol"]["references"]["per_image"] == [5]


def test_leaderboard_and_reports_per_task(caption_run):
    _, out = caption_run
    md = (out / "leaderboards" / "shapes-captioning.md").read_text()
    assert "image-to-text: suite 'shapes'" in md and "calibration captioners" in md
    assert md.index("*real*") < md.index("wrong-colour") < md.index("*constant*")
    assert md.index("*real*") < md.index("retrieval") < md.index("*constant*")
    assert (out / "leaderboards" / "shapes-captioning.csv").is_file()
    assert not (out / "leaderboards" / "shapes.md").exists()
    html = (out / "report-captioning.html").read_text()
    assert "every model&#x27;s caption" in html or "every model's caption" in html
    assert "Per-attribute accuracy" in html and "caption judge" in html
    report_md = (out / "report-captioning.md").read_text()
    assert "| image | real | constant | wrong-colour | empty |" in report_md.replace("  ", " ")


def test_second_run_reuses_and_check_gates(caption_run, capsys):
    cfg, out = caption_run
    before = {k: p.read_bytes() for k, p in _records(out).items()}
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    assert "5 reused from the cache" in capsys.readouterr().out
    assert {k: p.read_bytes() for k, p in _records(out).items()} == before
    paths = _records(out)
    assert main(["check", str(paths["real"]), "--baseline", str(paths["real"])]) == 0
    capsys.readouterr()
    assert main(["check", str(paths["wrong-colour"]), "--baseline", str(paths["real"])]) == 1
    assert "caption_correctness" in capsys.readouterr().out


def test_mixing_tasks_is_refused(caption_run, tmp_path, capsys):
    _, out = caption_run
    record = json.loads(_records(out)["real"].read_text())
    record["task"] = "text-to-image"
    record["protocol"]["task"] = "text-to-image"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(record))
    assert main(["check", str(other), "--baseline", str(_records(out)["real"])]) == 2
    assert "refusing to mix protocols" in capsys.readouterr().err


def test_default_run_has_both_tasks():
    configs = default_configs()
    assert [c.task for c in configs] == ["text-to-image", "image-to-text"]
    captioning = configs[1]
    assert {m.source for m in captioning.models} == {
        "show-and-tell",
        "show-attend-tell",
        "shared-latent",
        "retrieval",
        "real",
        "random",
        "constant",
    }
    # Show-Attend-Tell is scored over three training seeds of its shipped recipe, one baseline per seed
    seeded = [m for m in captioning.models if m.source == "show-attend-tell"]
    assert [(m.kind, m.seed, m.group) for m in seeded] == [("baseline", s, "show-attend-tell") for s in (0, 1, 2)]
    assert all(m.kind == "captioner" for m in captioning.models if m.source != "show-attend-tell")


@pytest.mark.parametrize(
    "edit, message",
    [
        (('task = "image-to-text"', 'task = "image-to-txt"'), "unknown [evaluation] task 'image-to-txt'"),
        (('task = "image-to-text"', 'task = "image-to-text"\nreference_split = "val"'), "applies to text-to-image"),
        (('captioner = "constant"', 'captioner = "konstant"'), "unknown captioner 'konstant'; did you mean 'constant'"),
        (('metrics = ["caption_correctness"', 'metrics = ["bleu5"'), "unknown caption metric 'bleu5'"),
        (("samples = 60", "samples = 6000"), "6000 images asked of split 'test', which holds 5000"),
        (('import = "toy_captioners:Empty"', 'import = "toy_captioners"'), "needs a factory"),
        (('captioner = "real"', 'calibration = "noise"'), "unknown calibration captioner 'noise'"),
    ],
)
def test_bad_configs_are_one_located_line(tmp_path, capsys, edit, message):
    text = CONFIG.replace(*edit)
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    assert main(["run", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith(f"xmbench: error: {cfg}:"), err
    assert not (tmp_path / "out" / "results").exists()


def test_meteor_needs_java(tmp_path, capsys, monkeypatch):
    import shutil

    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "java" else real_which(name, *a, **k))
    cfg = tmp_path / "meteor.toml"
    cfg.write_text(CONFIG.replace('metrics = ["caption_correctness"', 'metrics = ["meteor", "caption_correctness"'))
    assert main(["run", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "METEOR runs a Java jar and no `java` is on PATH" in err
    # "all" leaves METEOR (and SPICE) out instead
    from xmbench.data import get_suite
    from xmbench.extractors import get_extractor
    from xmbench.runner.image_to_text import caption_metric_names

    config = parse_config(CONFIG.replace('metrics = ["caption_correctness", ', 'metrics = "all"\n# '), "all.toml")
    names = caption_metric_names(config, get_suite("shapes"), get_extractor("shapes-v1"))
    assert "meteor" not in names and "spice" not in names and {"bleu", "cider_d", "diversity"} <= set(names)


def test_captioner_key_needs_the_image_to_text_task():
    with pytest.raises(Exception, match="captioner applies to image-to-text runs"):
        parse_config(CONFIG.replace('task = "image-to-text"\n', ""), "x.toml")


def test_the_gate_runs_its_paired_test_on_every_caption_metric(caption_run):
    from xmbench.results import check_records, read_record

    _, out = caption_run
    paths = _records(out)
    new, baseline = read_record(paths["wrong-colour"]), read_record(paths["real"])
    checks = check_records(new, baseline)
    assert checks and {c.method for c in checks} == {"bootstrap"}  # paired replicates, no normal fallback
    correctness = next(c for c in checks if c.name == "caption_correctness")
    assert correctness.failed and correctness.delta < 0
    # every caption value keeps its replicates, centred on the estimate (the convention of every metric)
    for name, metric in new["metrics"].items():
        if metric["ci_low"] is not None:
            replicates = metric["bootstrap"]
            assert len(replicates) == new["protocol"]["bootstrap"], name
            if min(replicates) > 0.0 and max(replicates) < 1.0:  # not clipped to the range
                assert sum(replicates) / len(replicates) == pytest.approx(metric["value"]), name


def test_strings_are_text_at_the_contract_and_in_the_cache(tmp_path, monkeypatch, capsys):
    """A lone surrogate is replaced (with a warning the record keeps) instead of crashing after the
    leaderboard; a caption cache entry that is not UTF-8 JSON text is recomputed, not a permanent failure."""
    monkeypatch.syspath_prepend(str(HERE))
    cfg = tmp_path / "surrogate.toml"
    text = CONFIG.split("[[models]]")[0].replace('"caption_r_precision", "clip_s", "refclip_s", "diversity"', '"bleu"')
    text = text.replace("[metric_options.caption_r_precision]\ncandidates = 10\nfolds = 2\n", "")
    cfg.write_text(text + '[[models]]\nname = "odd"\nimport = "toy_captioners:Surrogate"\n')
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    record = read_record(next((out / "results").glob("odd--*.json")))
    assert record["samples"]["captions"][0] == "a red \ufffd circle"
    assert any("lone surrogates" in w for w in record["warnings"])
    assert (out / "leaderboards" / "shapes-captioning.md").read_text(encoding="utf-8")
    # damage every caption cache entry: bytes that are not UTF-8; the next run recomputes them
    entries = list((out / "cache" / "captions").rglob("*.safetensors"))
    assert entries
    import safetensors.torch
    import torch

    for entry in entries:
        entry.write_bytes(safetensors.torch.save({"captions": torch.tensor([0xFF, 0xFE], dtype=torch.uint8)}))
    for p in (out / "results").glob("*.json"):
        p.unlink()
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    again = read_record(next((out / "results").glob("odd--*.json")))
    assert any("is unreadable" in w and "recomputing it" in w for w in again["warnings"])
    assert again["metrics"]["bleu_4"]["value"] == record["metrics"]["bleu_4"]["value"]
