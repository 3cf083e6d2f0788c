"""Outputs are what their names say (issue 25 §2): every command that writes refuses, in one line with exit
status 2 and before any work, an output path it could not write as named — and writes nothing anywhere.

Classes, for every output option of every writing command: an empty name; a name too long for the file
system; a folder (or a name ending in a separator) where a file goes; a file where a folder goes; an
extension of another format than the one written (or a file extension on a folder).
"""

from __future__ import annotations

import json
import os
import textwrap

import pytest
from record_factory import make_record

from xmbench.cli import main

CONFIG = textwrap.dedent("""\
    [suite]
    name = "shapes"

    [evaluation]
    samples = 100
    metrics = ["fd"]

    [[models]]
    name = "noise"
    calibration = "noise"
    """)

#: label -> (the command line before the option, the option, what it names, the extension of its format)
OPTIONS: dict[str, tuple[list[str], str, str, str]] = {
    "run --out": (["run", "{config}"], "--out", "folder", ""),
    "run --results": (["run", "{config}"], "--results", "folder", ""),
    "run --leaderboard": (["run", "{config}"], "--leaderboard", "file", ".md"),
    "leaderboard --out": (["leaderboard", "{record}"], "--out", "file", ".md"),
    "report --out": (["report", "{record}"], "--out", "file", ".html"),
    "report --markdown": (["report", "{record}", "--out", "fine.html"], "--markdown", "file", ".md"),
    "train --out": (["train", "dfgan"], "--out", "folder", ""),
    "train-evaluator --out": (["train-evaluator"], "--out", "file", ".safetensors"),
    "sanity --out": (["sanity"], "--out", "folder", ""),
    "sanity --captions --out": (["sanity", "--captions"], "--out", "folder", ""),
    "preview --out": (["preview", "shapes"], "--out", "file", ".png"),
}


def _bad_values(kind: str, extension: str) -> dict[str, tuple[str, str]]:
    """class -> (value, what the message says)."""
    if kind == "file":
        return {
            "empty": ("", "is empty"),
            "too long": ("a" * 250 + extension, "bytes, the file system allows 241 here"),
            "a folder": ("existing-folder", "is a folder"),
            "a separator at the end": ("new-folder/", "ends in a separator"),
            "another format": (
                "table.csv" if extension == ".md" else "out.md",
                f"the file written there is {extension}",
            ),
        }
    return {
        "empty": ("", "is empty"),
        "too long": ("a" * 256, "is 256 bytes, the file system allows 255 here"),
        "a file": ("existing-file", "is a file, not a folder"),
        "a file name": ("results.csv", "is named like a .csv file"),
    }


CASES = [
    (label, cls, *value)
    for label, (_, _, kind, extension) in OPTIONS.items()
    for cls, value in _bad_values(kind, extension).items()
]


def _tree(root) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size if p.is_file() else -1 for p in sorted(root.rglob("*"))}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working folder holding a config, a result record, a folder and a file; XMBENCH_HOME inside it."""
    (tmp_path / "run.toml").write_text(CONFIG)
    (tmp_path / "record.json").write_text(json.dumps(make_record("a")))
    (tmp_path / "existing-folder").mkdir()
    (tmp_path / "existing-file").write_text("keep")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XMBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XMBENCH_OFFLINE", "1")
    return tmp_path


@pytest.mark.parametrize("label, cls, value, message", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_every_output_option_refuses_a_path_it_cannot_write_as_named(workdir, capsys, label, cls, value, message):
    before, (head, option, _, _) = _tree(workdir), OPTIONS[label]
    argv = [a.format(config="run.toml", record="record.json") for a in head] + [option, value]
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("xmbench: error: "), err
    assert option in err and message in err, err
    assert _tree(workdir) == before  # nothing written, here or anywhere under the working folder


@pytest.mark.parametrize(
    "home, message",
    [
        ("existing-file", "existing-file is a file, not a folder"),
        ("a" * 256, "is 256 bytes, the file system allows 255 here"),
    ],
)
def test_weights_fetch_refuses_a_home_it_cannot_write_before_downloading(workdir, capsys, monkeypatch, home, message):
    monkeypatch.setenv("XMBENCH_HOME", home)
    before = _tree(workdir)
    assert main(["weights", "fetch", "all"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "XMBENCH_HOME (" in err and message in err, err
    assert _tree(workdir) == before


def test_weights_fetch_refuses_a_folder_where_the_weights_file_goes(workdir, capsys):
    from xmbench.extractors.standard_weights import standard_weights

    os.makedirs(standard_weights("clip-vit-b-32").path)
    before = _tree(workdir)
    assert main(["weights", "fetch", "clip-vit-b-32"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "XMBENCH_HOME (clip-vit-b-32 weights)" in err and "is a folder" in err, err
    assert _tree(workdir) == before


def test_an_image_to_text_run_checks_its_suffixed_leaderboard_name(workdir, capsys):
    """The captioning run writes <leaderboard>-captioning.md: 11 bytes longer than the name given."""
    config = CONFIG.replace("[evaluation]\n", '[evaluation]\ntask = "image-to-text"\n').replace('"fd"', '"bleu"')
    (workdir / "captions.toml").write_text(config)
    name = "b" * 228 + ".md"  # fits with the temporary name's 14 bytes, not with "-captioning" as well
    before = _tree(workdir)
    assert main(["run", "captions.toml", "--leaderboard", name]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--leaderboard" in err and "-captioning.md' is 242 bytes" in err, err
    assert _tree(workdir) == before
