"""The built wheel carries what a run needs from the package itself: every shipped weights file (and
its recorded hash beside it) and the embedded configs. Installing the wheel into a clean virtual
environment and running `xmbench run --limit` is left to CI with network access (torch alone is
several hundred MB); here the wheel's file list is checked against the source tree."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_wheel_carries_the_shipped_weights_and_configs(tmp_path):
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("xmbench", "baselines"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), "."]
    subprocess.run(cmd, cwd=src, check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("xmbench-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [
        p.relative_to(ROOT).as_posix()
        for package in ("xmbench", "baselines")
        for p in (ROOT / package).glob("**/weights/*")
        if p.suffix in (".safetensors", ".json")
    ]
    configs = [p.relative_to(ROOT).as_posix() for p in (ROOT / "xmbench").rglob("*.toml")]
    assert any(s.endswith(".safetensors") for s in shipped) and configs
    missing = sorted(set(shipped + configs) - names)
    assert not missing, missing
