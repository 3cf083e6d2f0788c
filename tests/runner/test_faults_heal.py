"""Damaged caches heal: a truncated reference-statistics npz, a truncated tensor entry, a damaged
latest.json and the temporary files a SIGKILL leaves are all treated as misses on the next run."""

import json
import os
import shutil
import time
import warnings

import pytest
import torch
from conftest import records_by_model
from safetensors.torch import save_file

from baselines.checkpoint import MODEL_FILE, checkpoint_file, read_latest
from xmbench.cli import main
from xmbench.errors import CacheRepairWarning, InputError
from xmbench.metrics.fd import ReferenceStats


def _no_baseline(cfg, dest):
    text = cfg.read_text()
    head, models = text[: text.index("[[models]]")], text[text.index("[[models]]") :]
    dest.write_text(head + "".join("[[models]]" + b for b in models.split("[[models]]")[1:] if "baseline" not in b))
    return dest


def test_damaged_cache_entries_are_recomputed_and_stale_temporaries_removed(first_run, tmp_path, capsys):
    cfg, reference = first_run
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    shutil.rmtree(out / "results")  # every model is evaluated again, from the (damaged) cache
    small = _no_baseline(cfg, tmp_path / "small.toml")
    (npz,) = (out / "cache" / "reference").glob("*.npz")
    npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    entries = sorted((out / "cache" / "samples").rglob("*.safetensors"))  # some belong to the excluded baseline
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:100])
    stale, fresh = out / "cache" / "samples" / ".x.safetensors.123.tmp", out / "cache" / ".y.tmp"
    stale.write_bytes(b"half"), fresh.write_bytes(b"being written")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    capsys.readouterr()
    assert main(["run", str(small), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if line.startswith("xmbench: warning: CacheRepairWarning: ")]
    assert npz.name in warned[0] and "recomputing" in warned[0], err
    healed = [e for e in entries if any(e.name in line for line in warned[1:])]
    assert len(healed) == len(warned) - 1 >= 1, err  # each damaged entry read is warned about once
    assert all(len(e.read_bytes()) > 100 for e in healed)  # and rewritten whole
    ReferenceStats.load(npz)  # rewritten whole
    assert not stale.exists() and fresh.exists()
    got, want = records_by_model(out), records_by_model(reference)
    for name in ("real", "noise", "degraded"):
        a, b = json.loads(got[name].read_text()), json.loads(want[name].read_text())
        assert a["metrics"] == b["metrics"], name


@pytest.mark.parametrize("cut", [0, 10, 200, -50])
def test_every_truncation_of_reference_statistics_is_one_input_error(tmp_path, cut):
    path = tmp_path / "ref.npz"
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 4, generator=g, dtype=torch.float64)
    ReferenceStats(x.mean(0), torch.cov(x.T), 50, "e", "h").save(path)
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut >= 0 else data[:cut] + b"\0" * 10)
    with pytest.raises(InputError, match=r"ref.npz: "):
        ReferenceStats.load(path)


def _run_folder(tmp_path, steps):
    for step in steps:
        folder = tmp_path / "checkpoints" / f"step-{step:08d}"
        folder.mkdir(parents=True)
        save_file({"w": torch.zeros(1)}, str(folder / MODEL_FILE))
    return tmp_path


@pytest.mark.parametrize(
    "latest",
    [b"{", b'{"step": "x", "checkpoint": 1}', b"[]", b"\xe9\xff", b'{"step": 9, "checkpoint": "checkpoints/gone"}'],
)
def test_damaged_latest_json_falls_back_to_the_newest_complete_checkpoint(tmp_path, latest):
    run = _run_folder(tmp_path, [2, 4])
    (run / "checkpoints" / "step-00000006").mkdir()  # a checkpoint without its model file is incomplete
    (run / "latest.json").write_bytes(latest)
    with pytest.warns(CacheRepairWarning, match=r"latest.json is damaged; using the newest complete checkpoint"):
        assert read_latest(run) == (4, "checkpoints/step-00000004")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # repaired: no second warning
        assert read_latest(run) == (4, "checkpoints/step-00000004")
        assert checkpoint_file(run) == run / "checkpoints" / "step-00000004" / MODEL_FILE
