"""Killing a run (SIGKILL, or Ctrl-C) and running it again gives the uninterrupted run's results."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import records_by_model

from xmbench.cli import main
from xmbench.runner.cache import TensorCache

SAME_FIELDS = ("metrics", "samples", "per_attribute", "worst_captions", "protocol", "suite", "model")


def _config_without_baseline(cfg: Path, dest: Path) -> Path:
    """The first run's config with its calibration and imported models only (no training: fast)."""
    text = cfg.read_text()
    head, models = text[: text.index("[[models]]")], text[text.index("[[models]]") :]
    blocks = ["[[models]]" + b for b in models.split("[[models]]")[1:] if "baseline" not in b]
    dest.write_text(head + "".join(blocks))
    return dest


def _assert_same_as_uninterrupted(out: Path, reference: Path, models: set[str]) -> None:
    got, want = records_by_model(out), records_by_model(reference)
    assert set(got) == models
    for name in models:
        a, b = json.loads(got[name].read_text()), json.loads(want[name].read_text())
        for field in SAME_FIELDS:
            assert a[field] == b[field], (name, field)


@pytest.mark.slow
def test_sigkill_then_rerun_matches_uninterrupted(first_run, tmp_path):
    cfg, reference = first_run
    small = _config_without_baseline(cfg, tmp_path / "small.toml")
    out = tmp_path / "out"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
        "OMP_NUM_THREADS": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "xmbench", "run", str(small), "--out", str(out), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 900
    while not list((out / "results").glob("*.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()[-500:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert len(list((out / "results").glob("*.json"))) < 3  # killed part-way
    assert not (out / "report.html").exists()
    assert main(["run", str(small), "--out", str(out), "--quiet"]) == 0
    _assert_same_as_uninterrupted(out, reference, {"real", "noise", "degraded"})


def test_ctrl_c_mid_generation_then_rerun(first_run, tmp_path, monkeypatch, capsys):
    cfg, reference = first_run
    small = _config_without_baseline(cfg, tmp_path / "small.toml")
    out = tmp_path / "out"
    real_put, calls = TensorCache.put, []

    def interrupted_put(self, kind, key, tensors):
        if kind == "samples":
            calls.append(key)
            if len(calls) == 2:  # the second model's first chunk: Ctrl-C while it is being stored
                raise KeyboardInterrupt
        return real_put(self, kind, key, tensors)

    monkeypatch.setattr(TensorCache, "put", interrupted_put)
    assert main(["run", str(small), "--out", str(out), "--quiet"]) == 130
    assert "interrupted; nothing partial was written" in capsys.readouterr().err
    assert len(list((out / "results").glob("*.json"))) == 1
    monkeypatch.setattr(TensorCache, "put", real_put)
    assert main(["run", str(small), "--out", str(out), "--quiet"]) == 0
    _assert_same_as_uninterrupted(out, reference, {"real", "noise", "degraded"})
