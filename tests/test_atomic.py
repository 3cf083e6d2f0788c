import os

import pytest

from xmbench.atomic import atomic_write_bytes, atomic_write_json


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    path = tmp_path / "sub" / "x.json"
    atomic_write_json(path, {"a": 1})
    atomic_write_json(path, {"a": 2})
    assert path.read_text() == '{\n  "a": 2\n}\n'
    assert os.listdir(path.parent) == ["x.json"]


def test_atomic_write_has_ordinary_permissions(tmp_path):
    path = atomic_write_bytes(tmp_path / "f.bin", b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_failed_write_keeps_old_file(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old")

    with pytest.raises(TypeError):
        atomic_write_bytes(path, object())  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]
