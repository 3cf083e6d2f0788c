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
    rec["schema_version"] = 3
    path = tmp_path / "new.json"
    path.write_text(json.dumps(rec))
    assert main(["check", str(path), "--baseline", str(path)]) == 2
    assert "schema version 3; this xmbench reads versions 1 to 2" in capsys.readouterr().err


@pytest.mark.parametrize("alpha", ["-1", "0", "1", "nan", "inf", "1.5"])
def test_check_alpha_out_of_range_cannot_switch_the_gate_off(tmp_path, capsys, alpha):
    new = _write(tmp_path, make_record("m", {"fd_shapes": 20.0}, seed=2), "new.json")
    old = _write(tmp_path, make_record("m", {"fd_shapes": 10.0}, seed=1), "old.json")
    assert main(["check", str(new), "--baseline", str(old), f"--alpha={alpha}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--alpha must be a significance level strictly between 0 and 1" in err
    assert main(["check", str(new), "--baseline", str(old), "--alpha=0.05"]) == 1  # the same gate, valid alpha


@pytest.mark.parametrize(
    "spec", ["fd_shapes=1e999", "fd_shapes=1e999%", "fd_shapes=nan", "fd_shapes=-1", "fd_shapes=inf"]
)
def test_check_tolerance_must_be_finite_and_non_negative(tmp_path, capsys, spec):
    a = _write(tmp_path, make_record("a"))
    assert main(["check", str(a), "--baseline", str(a), "--tolerance", spec]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("finite amount >= 0" in err or "must look like METRIC=5%" in err), err


def _records(tmp_path):
    return [str(_write(tmp_path, make_record("a", seed=1))), str(_write(tmp_path, make_record("b", seed=2)))]


def test_run_out_under_a_regular_file_fails_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("keep")
    cfg = tmp_path / "ok.toml"
    cfg.write_text(BASE)
    start = time.perf_counter()
    assert main(["run", str(cfg), "--out", str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{blocker} is a file, not a folder" in err, err
    assert time.perf_counter() - start < 30 and blocker.read_text() == "keep"


@pytest.mark.parametrize("command", ["leaderboard", "report"])
def test_outputs_that_are_not_plain_files(tmp_path, capsys, command):
    records = _records(tmp_path)
    folder, target = tmp_path / "folder", tmp_path / "target.md"
    folder.mkdir()
    target.write_text("untouched")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    blocker = tmp_path / "plain"
    blocker.write_text("x")
    cases = {
        str(folder): "is a folder",
        str(link): "is a symbolic link",
        "/dev/null": "is a device or pipe",
        str(blocker / "board.md"): "is a file, not a folder",
    }
    for out, message in cases.items():
        assert main([command, *records, "--out", out]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, (out, err)
    assert target.read_text() == "untouched" and link.is_symlink() and blocker.read_text() == "x"
    assert list(folder.iterdir()) == []


def test_two_outputs_on_one_path(tmp_path, capsys):
    records = _records(tmp_path)
    # a leaderboard named .csv would be its own CSV twin, a report named .md its own summary: refused by format
    assert main(["leaderboard", *records, "--out", str(tmp_path / "board.csv")]) == 2
    assert "the file written there is .md" in capsys.readouterr().err
    assert main(["report", *records, "--out", str(tmp_path / "r.md")]) == 2
    assert "the file written there is .html or .htm" in capsys.readouterr().err
    cfg, out = tmp_path / "ok.toml", tmp_path / "out"
    cfg.write_text(BASE)
    assert main(["run", str(cfg), "--out", str(out), "--leaderboard", str(out / "report.md")]) == 2
    assert "--leaderboard and the report summary are the same file" in capsys.readouterr().err
    assert not (tmp_path / "board.csv").exists() and not (tmp_path / "r.md").exists() and not out.exists()


def test_two_models_never_share_a_record_file():
    names = ["my model", "my_model", "my/model", "my--model", "..", "my model "]
    assert len({record_filename(make_record(n)) for n in names}) == len(names)
    assert record_filename(make_record("gan-int-cls")).startswith("gan-int-cls--")  # plain names unchanged


HOSTILE = "<img src=x onerror=alert(1)> **x** [l](javascript:1)"


def test_markdown_outputs_escape_model_names_and_titles(tmp_path, capsys):
    records = [str(_write(tmp_path, make_record(HOSTILE, seed=1))), str(_write(tmp_path, make_record("b", seed=2)))]
    assert main(["leaderboard", *records, "--out", str(tmp_path / "board.md"), "--title", "<b>t</b>"]) == 0
    assert main(["report", *records, "--out", str(tmp_path / "r.html"), "--title", "<b>t</b>"]) == 0
    for md in (tmp_path / "board.md", tmp_path / "r.md"):
        text = md.read_text()
        assert "<img" not in text and "<b>" not in text and "[l](" not in text, md
        assert "&lt;img src=x onerror=alert(1)&gt; \\*\\*x\\*\\* \\[l\\](javascript:1)" in text, md
    assert "<img src=x" not in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda r: r.update(worst_captions="oops"), "worst_captions"),
        (lambda r: r.update(worst_captions=[{"caption": 3, "score": 0.5}]), "worst_captions[0]"),
        (lambda r: r.update(samples={"png": 5, "captions": ["a"]}), "samples.png"),
        (lambda r: r.update(per_attribute={"colour": "high"}), "per_attribute"),
        (lambda r: r.update(training={"curves": [{"loss": 1}]}), "training.curves"),
        (lambda r: r["timings"].update(total_s="long"), "timings.total_s"),
        (lambda r: r["protocol"].update(confidence=2), "protocol.confidence"),
    ],
)
def test_tampered_record_fields_are_one_line_in_every_command(tmp_path, capsys, edit, field):
    good = _write(tmp_path, make_record("a", seed=1))
    rec = make_record("b", seed=2)
    edit(rec)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(rec))
    for argv in (
        ["leaderboard", str(good), str(bad), "--out", str(tmp_path / "b.md")],
        ["report", str(good), str(bad), "--out", str(tmp_path / "r.html")],
        ["check", str(bad), "--baseline", str(good)],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"field {field!r}" in err and str(bad) in err, err


def test_record_that_is_a_device_or_not_utf8(tmp_path, capsys):
    good = _write(tmp_path, make_record("a"))
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"model": "caf\xe9"}')
    for bad, message in (("/dev/zero", "is a device, not a regular file"), (str(latin), "line 1 is not UTF-8")):
        assert main(["check", bad, "--baseline", str(good)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err


def test_config_that_is_a_device_a_folder_or_not_utf8(tmp_path, capsys):
    latin = tmp_path / "latin.toml"
    latin.write_bytes(BASE.replace('"noise"', '"nois\xe9"', 1).encode("latin-1"))
    for config, message in (
        ("/dev/zero", "config file /dev/zero is a device, not a regular file"),
        (str(tmp_path), "is a folder, not a file"),
        (str(latin), "is not UTF-8 (byte 0xe9"),
    ):
        assert main(["run", config, "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()


def test_a_folder_given_as_the_evaluator_weights(tmp_path, capsys):
    folder = tmp_path / "weights"
    folder.mkdir()
    text = BASE.replace("samples = 100", f'samples = 100\nweights = "{folder}"')
    err = _run_error(tmp_path, capsys, text)
    assert f"shapes-v1 weights {folder} is a folder or device, not a file" in err


USER_MODEL = """
import torch

class Model:
    def __init__(self, variant="a", fail_in_generate=False):
        if variant not in ("a", "b"):
            raise ValueError(f"unknown variant {variant!r}; this model has 'a' and 'b'")
        self.fail = fail_in_generate

    def generate(self, captions, seed):
        if self.fail:
            raise RuntimeError("CUDA out of memory (pretend)")
        return torch.zeros(len(captions), 3, 32, 32, dtype=torch.uint8)
"""


@pytest.mark.parametrize(
    "options, message",
    [
        ('{ variant = "x" }', "raised ValueError: unknown variant 'x'; this model has 'a' and 'b'"),
        ("{ fail_in_generate = true }", ".generate raised RuntimeError: CUDA out of memory (pretend)"),
    ],
)
def test_a_user_model_that_raises_is_one_line_naming_it(tmp_path, capsys, monkeypatch, options, message):
    module = f"usermodel_{abs(hash(options))}"
    (tmp_path / f"{module}.py").write_text(USER_MODEL)  # beside the config: found without PYTHONPATH
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    mine = f'[[models]]\nname = "mine"\nimport = "{module}:Model"\noptions = {options}\n\n'
    text = BASE.replace("[[models]]", mine + "[[models]]", 1)  # first: it fails before any record is written
    err = _run_error(tmp_path, capsys, text, "--limit", "10", "--quiet")
    assert "model 'mine'" in err and message in err and "--traceback" in err, err
    cfg, out = tmp_path / "bad.toml", tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--limit", "10", "--quiet", "--traceback"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and f"{module}.py" in err
    assert err.splitlines()[-1].startswith("xmbench: error: ") and message in err.splitlines()[-1]


@pytest.mark.parametrize(
    "options, message",
    [
        ("{ resolution = 64 }", "takes no option 'resolution' (its options: variant, fail_in_generate)"),
        ('{ variant = "a", varaint = "b" }', "takes no option 'varaint'"),
    ],
)
def test_user_model_options_are_checked_before_any_work(tmp_path, capsys, monkeypatch, options, message):
    module = f"usermodel_opts_{abs(hash(options))}"
    (tmp_path / f"{module}.py").write_text(USER_MODEL)
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    text = BASE + f'\n[[models]]\nname = "mine"\nimport = "{module}:Model"\noptions = {options}\n'
    start = time.perf_counter()
    err = _run_error(tmp_path, capsys, text)
    assert err.startswith(f"{tmp_path / 'bad.toml'}:{_line_of(text, 'import =')}: model 'mine': "), err
    assert message in err and time.perf_counter() - start < 60
    assert not (tmp_path / "out" / "cache").exists()  # before any work


def test_config_without_models_and_a_device_that_is_not_there(tmp_path, capsys):
    err = _run_error(tmp_path, capsys, "models = []\n" + BASE[: BASE.index("[[models]]")])
    assert "no models: add at least one [[models]] table" in err
    err = _run_error(tmp_path, capsys, BASE.replace("samples = 100", 'samples = 100\ndevice = "cuda:99"'))
    assert "device 'cuda:99' is not available (this machine has" in err


def test_a_stray_json_in_the_results_folder_is_refused_before_the_work(tmp_path, capsys):
    results = tmp_path / "out" / "results"
    results.mkdir(parents=True)
    (results / "notes.json").write_text('{"todo": "compare with last week"}')
    cfg = tmp_path / "ok.toml"
    cfg.write_text(BASE)
    assert main(["run", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "notes.json is not an xmbench result record; move it out of" in err, err
    assert not (tmp_path / "out" / "cache").exists() and sorted(p.name for p in results.iterdir()) == ["notes.json"]


KID_OPTIONS = BASE.replace('metrics = ["fd", "kid"]', 'metrics = ["fd", "kid"]\n\n[metric_options.kid]\nOPTION')


@pytest.mark.parametrize(
    "option, message",
    [
        ("subset = 5", "unknown kid option 'subset'; did you mean 'subsets'"),
        ('subsets = "many"', "option 'subsets' of metric 'kid' must be a whole number, got 'many'"),
        ("subsets = 0", "option 'subsets' of metric 'kid' must be at least 1, got 0"),
        ("subset_size = 2.5", "option 'subset_size' of metric 'kid' must be a whole number"),
        ("bootstrap = -1", "option 'bootstrap' of metric 'kid' must be at least 0"),
    ],
)
def test_metric_options_are_checked_before_any_work(tmp_path, capsys, option, message):
    text = KID_OPTIONS.replace("OPTION", option)
    err = _run_error(tmp_path, capsys, text)
    assert err.startswith(f"{tmp_path / 'bad.toml'}:") and message in err, err
    assert not (tmp_path / "out" / "cache").exists()


def test_metric_feasibility_for_the_sample_count_before_any_work(tmp_path, capsys):
    text = BASE.replace('metrics = ["fd", "kid"]', 'metrics = ["r_precision"]\nextractor = "shapes-v1"')
    err = _run_error(tmp_path, capsys, text, "--limit", "50")
    assert "metric 'r_precision' needs at least 100 evaluated samples with these options, the run has 50" in err
    assert not (tmp_path / "out" / "cache").exists()


def test_calibration_generators_take_no_options(tmp_path, capsys):
    err = _run_error(
        tmp_path, capsys, BASE.replace('calibration = "noise"', 'calibration = "noise"\noptions = { sigma = 3 }')
    )
    assert "calibration generator 'noise' takes no options (got sigma)" in err


def test_fid_asked_of_records_holding_another_feature_space_suggests_its_fd_name(tmp_path, capsys):
    a = _write(tmp_path, make_record("a"))
    assert main(["leaderboard", str(a), "--out", str(tmp_path / "b.md"), "--rank-by", "fid"]) == 2
    assert "unknown metric to rank by 'fid'; did you mean 'fd_shapes'?" in capsys.readouterr().err
    assert main(["check", str(a), "--baseline", str(a), "--tolerance", "fid=5%"]) == 2
    assert "did you mean 'fd_shapes'?" in capsys.readouterr().err


def test_rank_by_naming_no_computed_metric_fails_before_any_record_is_written(tmp_path, capsys):
    text = BASE.replace('metrics = ["fd", "kid"]', 'metrics = ["fd"]\nrank_by = "kid"')
    err = _run_error(tmp_path, capsys, text, "--limit", "10", "--quiet")
    assert err.startswith(f"{tmp_path / 'bad.toml'}:{_line_of(text, 'rank_by')}: ") and "metric to rank by 'kid'" in err
    err = _run_error(tmp_path, capsys, text.replace('"kid"', '"fid"'), "--limit", "10", "--quiet")
    assert "unknown metric to rank by 'fid'; did you mean 'fd_shapes'?" in err


def test_train_on_a_device_that_is_not_there(tmp_path, capsys):
    assert main(["train", "gan-int-cls", "--device", "cuda:99", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "device 'cuda:99' is not available" in err and not (tmp_path / "run").exists()
