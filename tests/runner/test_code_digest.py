"""The caches' code digest: the code counts, its comments, docstrings and layout do not."""

from types import SimpleNamespace

from xmbench.runner.models import code_digest

CODE = '''"""A module."""


def f(x):
    """Doubles."""
    return 2 * x  # twice
'''


def _digest(tmp_path, name, source):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "m.py").write_text(source)
    return code_digest(SimpleNamespace(__file__=str(folder / "m.py")))


def test_comments_docstrings_and_layout_do_not_change_the_digest(tmp_path):
    base = _digest(tmp_path, "a", CODE)
    documented = CODE.replace('"""Doubles."""', '"""Doubles x: float (N,)."""').replace("# twice", "# 2x")
    assert _digest(tmp_path, "b", documented) == base
    assert _digest(tmp_path, "c", CODE.replace("2 * x", "2*x") + "\n\n# the end\n") == base
    assert _digest(tmp_path, "d", CODE.replace('    """Doubles."""\n', "")) == base


def test_code_changes_change_the_digest(tmp_path):
    base = _digest(tmp_path, "a", CODE)
    assert _digest(tmp_path, "b", CODE.replace("2 * x", "3 * x")) != base
    assert _digest(tmp_path, "c", CODE.replace("return 2 * x", 'return "2 * x"')) != base
    assert _digest(tmp_path, "d", CODE + "\n\ndef g():\n    return 1\n") != base
