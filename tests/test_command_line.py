import subprocess
import sys

from PIL import Image

from xmbench.cli import build_parser, main


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"suites", "preview", "run"} <= set(sub.choices)
    for name, p in sub.choices.items():
        assert p.format_help().startswith("usage: xmbench " + name)


def test_suites_lists_shapes(capsys):
    assert main(["suites"]) == 0
    out = capsys.readouterr().out
    assert "shapes" in out and "compositional 2000" in out and "folder:PATH" in out


def test_preview_writes_png(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["preview", "shapes", "--out", str(out), "--n", "4", "--columns", "2"]) == 0
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size[0] > 100


def test_unknown_suite_is_one_line_error(tmp_path, capsys):
    assert main(["preview", "shapez", "--out", str(tmp_path / "g.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "xmbench: error: unknown suite 'shapez'; did you mean 'shapes'?"
    assert not (tmp_path / "g.png").exists()


def test_console_entry_point_runs():
    r = subprocess.run([sys.executable, "-m", "xmbench", "--help"], capture_output=True, text=True, check=True)
    assert "preview" in r.stdout
