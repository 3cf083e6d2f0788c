"""The CI recipe of docs/ci-gate.md as a user runs it, in a temporary repository: a model module beside
its config (no PYTHONPATH for it), `xmbench run`, the record found by a glob, and `xmbench check`
passing a rerun against the committed baseline record."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

MODEL = """
import torch


class Model:
    VERSION = 1

    def __init__(self, level=96):
        self.level = level

    def generate(self, captions, seed):
        g = torch.Generator().manual_seed(seed)
        noise = torch.randint(0, 64, (len(captions), 3, 32, 32), generator=g)
        return (noise + self.level).clamp(0, 255).to(torch.uint8)
"""

CONFIG = """
[suite]
name = "shapes"

[evaluation]
samples = 40
reference_samples = 40
metrics = ["fd"]
bootstrap = 20

[[models]]
name = "mine"
import = "mymodel:Model"
"""


def _xmbench(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "XMBENCH_HOME"}
    env["XMBENCH_HOME"] = str(repo / ".xmbench")
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "xmbench", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_ci_recipe_from_a_fresh_repository(tmp_path):
    repo = tmp_path / "repo"
    (repo / "ci").mkdir(parents=True)
    (repo / "ci" / "mymodel.py").write_text(MODEL)
    (repo / "ci" / "mymodel.toml").write_text(CONFIG)
    first = _xmbench(repo, "run", "ci/mymodel.toml", "--quiet", "--out", "ci-out", "--threads", "1")
    assert first.returncode == 0, first.stderr[-2000:]
    (record,) = (repo / "ci-out" / "results").glob("mine--*.json")  # the protocol key is not hard-coded
    (repo / "ci" / "baseline").mkdir()
    shutil.copy(record, repo / "ci" / "baseline" / record.name)
    rerun = _xmbench(repo, "run", "ci/mymodel.toml", "--quiet", "--out", "ci-out", "--results", "ci-out/again")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    (new,) = (repo / "ci-out" / "again").glob("mine--*.json")
    (old,) = (repo / "ci" / "baseline").glob("mine--*.json")
    check = _xmbench(repo, "check", str(new), "--baseline", str(old), "--tolerance", "fd_shapes=5%")
    assert check.returncode == 0 and "passed: no metric is significantly worse" in check.stdout, check.stdout
