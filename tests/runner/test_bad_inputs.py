"""Every bad input of the runner, records, leaderboards and the gate: one clear line, exit status 2,
and nothing written (or nothing lost)."""

import contextlib
import json
import textwrap
import threading
import time

import pytest
from record_factory import make_record

from xmbench.cli import main
from xmbench.results import publish, record_filename, update_leaderboard, write_record

BASE = textwrap.dedent("""\
    [suite]
    name = "shapes"

    [evaluation]
    samples = 100
    metrics = ["fd", "kid"]

    [[models]]
    name = "noise"
    calibration = "noise"
    """)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _run_error(tmp_path, capsys, text: str, *extra: str) -> str:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("xmbench: error: "), err
    assert not (out / "results").exists() and not (out / "report.html").exists()  # nothing written
    return err.removeprefix("xmbench: error: ").strip()


@pytest.mark.parametrize(
    "edit, needle, message",
    [
        (("samples = 100", "samples = = 100"), "samples = = 100", "malformed TOML"),
        (
            ("samples = 100", "samplez = 100"),
            "samplez",
            "unknown key in [evaluation] 'samplez'; did you mean 'samples'",
        ),
        (("samples = 100", 'samples = "many"'), "samples =", "[evaluation] samples must be an integer"),
        (('name = "shapes"', 'name = "shapez"'), "shapez", "unknown suite 'shapez'; did you mean 'shapes'?"),
        (('["fd", "kid"]', '["fd", "kdi"]'), "kdi", "unknown metric 'kdi'; did you mean 'kid'?"),
        (
            ("samples = 100", 'samples = 100\nextractor = "shapes-v2"'),
            "shapes-v2",
            "unknown extractor 'shapes-v2'; did you mean 'shapes-v1'?",
        ),
        (
            ('calibration = "noise"', 'calibration = "nosie"'),
            "nosie",
            "unknown calibration generator 'nosie'; did you mean 'noise'?",
        ),
        (('calibration = "noise"', 'baseline = "dfgn"'), "dfgn", "unknown baseline 'dfgn'; did you mean 'dfgan'?"),
        (
            ('calibration = "noise"', 'checkpoint = "missing/model.safetensors"'),
            "missing/model",
            "checkpoint missing/model.safetensors of model 'noise' does not exist",
        ),
        (
            ("samples = 100", "samples = 99999"),
            "samples = 99999",
            "99999 samples asked of split 'test', which holds 5000",
        ),
        (('name = "noise"', 'name = "noise"\nbaseline = "dfgan"'), 'baseline = "dfgan"', "needs exactly one of"),
    ],
)
def test_config_errors_name_file_and_line(tmp_path, capsys, edit, needle, message):
    text = BASE.replace(*edit)
    err = _run_error(tmp_path, capsys, text)
    line = _line_of(text, needle) if "exactly one" not in message else _line_of(text, "[[models]]")
    assert err.startswith(f"{tmp_path / 'bad.toml'}:{line}:"), err
    assert message in err


def test_duplicate_models_and_limit(tmp_path, capsys):
    text = BASE + '\n[[models]]\nname = "noise"\ncalibration = "real"\n'
    err = _run_error(tmp_path, capsys, text)
    assert err.endswith("two models are named 'noise'; give each a distinct name")
    assert err.startswith(f"{tmp_path / 'bad.toml'}:{len(text.splitlines()) - 1}:")
    assert "--limit 1 is too small" in _run_error(tmp_path, capsys, BASE, "--limit", "1")


def test_missing_config_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "config file" in capsys.readouterr().err and not (tmp_path / "xmbench-out").exists()


def _write(tmp_path, record, name=None):
    return write_record(tmp_path / (name or record_filename(record)), record)


def test_mixed_suites_in_one_leaderboard(tmp_path, capsys):
    a, b = _write(tmp_path, make_record("a")), _write(tmp_path, make_record("b", suite="cub"))
    out = tmp_path / "board.md"
    assert main(["leaderboard", str(a), str(b), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refusing to mix suites" in err and str(b) in err
    assert not out.exists() and not out.with_suffix(".csv").exists()
    assert main(["report", str(a), str(b), "--out", str(tmp_path / "r.html")]) == 2
    assert "refusing to mix suites" in capsys.readouterr().err and not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"schema": "xmbench.result", "metrics": {', "not valid JSON at line 1 column"),
        ('{"name": "something else"}', "is not an xmbench result record"),
        ("", "not valid JSON at line 1 column 1"),
    ],
)
def test_corrupt_or_foreign_result_json(tmp_path, capsys, content, message):
    good = _write(tmp_path, make_record("a"))
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    for argv in (
        ["leaderboard", str(good), str(bad), "--out", str(tmp_path / "b.md")],
        ["check", str(bad), "--baseline", str(good)],
        ["report", str(bad), "--out", str(tmp_path / "r.html")],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and str(bad) in err, err
    assert not (tmp_path / "b.md").exists() and not (tmp_path / "r.html").exists()


def test_check_bad_tolerance_and_unknown_metric(tmp_path, capsys):
    a = _write(tmp_path, make_record("a"))
    assert main(["check", str(a), "--baseline", str(a), "--tolerance", "fd_shapes=lots"]) == 2
    assert "must look like METRIC=5%" in capsys.readouterr().err
    assert main(["check", str(a), "--baseline", str(a), "--tolerance", "fd_shape=5%"]) == 2
    assert "did you mean 'fd_shapes'" in capsys.readouterr().err
    assert main(["leaderboard", str(a), "--out", str(tmp_path / "b.md"), "--rank-by", "kid"]) == 2
    assert "unknown metric to rank by 'kid'" in capsys.readouterr().err


def test_concurrent_leaderboard_writers_lose_nothing(tmp_path, monkeypatch):
    """Writer A reads the results folder and stalls; B adds its record and updates the same
    leaderboard. With the lock, A's late write cannot drop B's row; without it (control), it does."""

    def race(lock):
        out, results = tmp_path / lock.__name__ / "board.md", tmp_path / lock.__name__ / "results"
        monkeypatch.setattr(publish, "file_lock", lock)
        a, b = make_record("model-a", seed=1), make_record("model-b", seed=2)
        write_record(results / record_filename(a), a)
        read_done = threading.Event()
        real_frame = publish.leaderboard_frame

        def slow_frame(records, **kw):
            frame = real_frame(records, **kw)
            if threading.current_thread().name == "A":
                read_done.set()
                time.sleep(0.5)
            return frame

        monkeypatch.setattr(publish, "leaderboard_frame", slow_frame)

        def writer_b():
            read_done.wait()
            write_record(results / record_filename(b), b)
            update_leaderboard(out, results, b)

        threads = [
            threading.Thread(target=update_leaderboard, args=(out, results, a), name="A"),
            threading.Thread(target=writer_b, name="B"),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out.read_text(), out.with_suffix(".csv").read_text()

    md, csv = race(publish.file_lock)
    assert all(m in text for m in ("model-a", "model-b") for text in (md, csv))

    def no_lock(path):
        return contextlib.nullcontext()

    md, _ = race(no_lock)
    assert "model-b" not in md  # the control shows the lost write the lock prevents


def test_record_written_by_a_newer_schema_is_refused(tmp_path, capsys):
    rec = make_record("a")
    rec["schema_version"] = 2
    path = tmp_path / "new.json"
    path.write_text(json.dumps(rec))
    assert main(["check", str(path), "--baseline", str(path)]) == 2
    assert "schema version 2; this xmbench reads version 1" in capsys.readouterr().err
