"""From `xmbench run` to leaderboard, report and check, on a tiny budget; and reruns reuse every cache."""

import html
import json

import pytest
from conftest import records_by_model as _records

from xmbench.cli import main


@pytest.mark.slow
def test_run_writes_records_leaderboard_and_report(first_run, capsys):
    cfg, out = first_run
    records = _records(out)
    assert set(records) == {"gan-int-cls", "real", "noise", "degraded"}
    rec = json.loads(records["gan-int-cls"].read_text())
    assert rec["protocol"]["samples"] == 120 and rec["metrics"]["fd_shapes"]["n"] == 120
    assert rec["training"]["steps"] == 2 and len(rec["model"]["checkpoint_sha256"]) == 64
    assert rec["protocol"]["extractor"]["id"] == "shapes-v1" and rec["environment"]["packages"]["torch"]
    # the versions that key the caches are recorded
    from baselines.gan_int_cls import GanIntCls
    from xmbench.metrics.registry import metric_version

    assert rec["model"]["version"] == GanIntCls.VERSION
    assert rec["run"]["metric_versions"] == {name: metric_version(name) for name in rec["run"]["metric_versions"]}
    assert {"fd", "kid", "attribute_accuracy"} <= set(rec["run"]["metric_versions"])
    # the attribute metric's per-image extras reach the record through its details, lifted to their own section
    assert len(rec["worst_captions"]) == 10 and "worst_captions" not in rec["metrics"]["attribute_accuracy"]["details"]
    assert rec["per_attribute"]["whole caption"] == rec["metrics"]["attribute_accuracy"]["value"]
    for name in ("fd_shapes", "kid", "is", "clip_score", "r_precision", "precision", "attribute_accuracy"):
        m = rec["metrics"][name]
        assert m["ci_low"] is not None and m["ci_low"] <= m["ci_high"], name
    board = (out / "leaderboards" / "shapes.md").read_text()
    assert "| ceiling | *real* |" in board and "| floor | *noise* |" in board and "gan-int-cls" in board
    assert (out / "leaderboards" / "shapes.csv").read_text().count("\n") == 5
    page = (out / "report.html").read_text()
    assert html.escape(rec["samples"]["captions"][0]) in page and "Training curves" in page
    assert (out / "report.md").read_text().startswith("## xmbench: shapes")


def test_second_run_reuses_every_cache(first_run, capsys, monkeypatch):
    cfg, out = first_run
    before = {k: p.read_bytes() for k, p in _records(out).items()}
    import baselines.training
    from xmbench.runner import text_to_image

    def forbidden(*a, **k):
        raise AssertionError("the second run must not train, generate or evaluate")

    monkeypatch.setattr(baselines.training, "train_baseline", forbidden)
    monkeypatch.setattr(text_to_image, "evaluate_generator", forbidden)
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "4 reused from the cache" in text and "report:" in text
    assert {k: p.read_bytes() for k, p in _records(out).items()} == before


def test_check_passes_on_rerun_and_fails_on_degraded(first_run, tmp_path, capsys):
    cfg, out = first_run
    records = _records(out)
    # a fresh evaluation of the same model in another folder (no shared cache)
    only_real = tmp_path / "real.toml"
    text = cfg.read_text()
    only_real.write_text(text[: text.index("[[models]]")] + '[[models]]\nname = "real"\ncalibration = "real"\n')
    assert main(["run", str(only_real), "--out", str(tmp_path / "again"), "--quiet"]) == 0
    rerun = _records(tmp_path / "again")
    capsys.readouterr()
    assert main(["check", str(rerun["real"]), "--baseline", str(records["real"])]) == 0
    assert "passed" in capsys.readouterr().out
    assert main(["check", str(records["degraded"]), "--baseline", str(records["real"])]) == 1
    report = capsys.readouterr().out
    assert "FAIL" in report and "fd_shapes" in report.splitlines()[-1]
    # with a tolerance wide enough for FD and KID, only the remaining metrics can fail
    assert main(
        ["check", str(records["degraded"]), "--baseline", str(records["real"]), "--tolerance", "fd_shapes=100000%"]
    ) in (0, 1)
    assert "fd_shapes ↓" in capsys.readouterr().out


def test_leaderboard_and_report_commands(first_run, tmp_path, capsys):
    cfg, out = first_run
    md = tmp_path / "board.md"
    assert main(["leaderboard", str(out / "results"), "--out", str(md), "--rank-by", "fd_shapes"]) == 0
    assert md.with_suffix(".csv").exists() and "Models are ranked by `fd_shapes`" in md.read_text()
    page = tmp_path / "r.html"
    assert main(["report", *map(str, _records(out).values()), "--out", str(page)]) == 0
    assert page.read_text().startswith("<!DOCTYPE html>") and page.with_suffix(".md").exists()
