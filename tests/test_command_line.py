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


def test_the_command_line_loads_without_torch():
    """`xmbench --help`, usage errors and config errors answer in well under a second: nothing heavy
    (torch, torchmetrics, torchvision) is imported before a command needs it."""
    import subprocess
    import sys

    code = (
        "import sys; from xmbench.cli import main\n"
        "try:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass\n"
        "main(['run', 'missing.toml'])\n"
        "print(sorted(m for m in ('torch', 'torchmetrics', 'torchvision', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout[-300:]
    assert "config file missing.toml does not exist" in out.stderr


def test_usage_errors_are_one_line(capsys):
    import pytest

    from xmbench.cli import main

    for argv, message in (
        (["run", "--limit", "0"], "argument --limit: must be at least 1, got 0"),
        (["run", "--threads", "x"], "argument --threads: 'x' is not a whole number"),
        (["train", "gan-int-cls", "--threads", "0"], "argument --threads: must be at least 1"),
        (["train", "gan-int-cls", "--ema", "1.5"], "argument --ema: must be a number in [0, 1)"),
        (["sanity", "--n", "-5"], "argument --n: must be at least 1"),
    ):
        with pytest.raises(SystemExit) as e:
            main(argv)
        err = capsys.readouterr().err
        assert e.value.code == 2 and err.count("\n") == 1 and message in err, err


def test_warnings_once_one_line_and_silent_under_quiet(capsys):
    import warnings

    from xmbench.warning_log import capture_warnings, seen_warnings, warning_mark

    def noisy():
        for _ in range(3):
            warnings.warn("kid subset_size 50 is larger\n than the sample count", UserWarning, stacklevel=1)

    with capture_warnings() as log:
        mark = warning_mark()
        noisy()
        assert seen_warnings(since=mark) == ["UserWarning: kid subset_size 50 is larger than the sample count"]
    line = "UserWarning: kid subset_size 50 is larger than the sample count"
    assert capsys.readouterr().err == f"xmbench: warning: {line}\n" and log.messages == [line]
    with capture_warnings(quiet=True):
        noisy()
    assert capsys.readouterr().err == ""


def test_results_lists_records(tmp_path, capsys):
    from record_factory import make_record

    from xmbench.cli import main
    from xmbench.results import protocol_key, record_filename, write_record

    rec = make_record("my-model", {"fd_shapes": 12.5, "attribute_accuracy": 0.25})
    rec["run"] = {"created": "2026-01-02T03:04:05+00:00"}
    write_record(tmp_path / record_filename(rec), rec)
    assert main(["results", str(tmp_path)]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:5] == ["model", "suite", "task", "protocol", "headline"]
    assert row.split()[:4] == ["my-model", "shapes", "text-to-image", protocol_key(rec)]
    assert "attribute_accuracy 0.250, fd_shapes 12.50" in row and "2026-01-02 03:04" in row
    (tmp_path / "notes.json").write_text('{"hello": 1}')
    assert main(["results", str(tmp_path)]) == 2
    assert "notes.json is not an xmbench result record" in capsys.readouterr().err
