"""Repository-wide pytest hooks: `--doctest-modules` (set in pyproject.toml) runs the `>>>` examples of
the packages xmbench/ and baselines/ only; files under tests/ are collected as tests, not for doctests
(several test folders have a conftest.py, and importing those as doctest modules clashes by name)."""

from __future__ import annotations

from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parent
DOCTEST_PACKAGES = (_ROOT / "xmbench", _ROOT / "baselines")


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> list[pytest.Collector]:
    collected = yield
    if any(file_path.resolve().is_relative_to(package) for package in DOCTEST_PACKAGES):
        return collected
    return [c for c in collected if type(c).__name__ != "DoctestModule"]
