"""METEOR against pycocoevalcap's Meteor scorer on identical tokenised input; SPICE's and METEOR's one-line errors."""

import contextlib
import importlib
import io
import shutil

import numpy as np
import pytest

from xmbench.errors import InputError
from xmbench.metrics.captioning import _java, meteor, spice
from xmbench.metrics.captioning.spice import CORENLP_JARS, check_spice, missing_corenlp_jars

CANDIDATES = ["a dog runs on the grass", "two cats sleeping on a sofa", "", "a red circle left of a blue square",
              "a man riding a horse", "people walking down a street"]  # fmt: skip
REFERENCES = [
    ["a dog running across the grass", "the dog is running on a lawn"],
    ["two cats sleep on a couch", "a pair of cats asleep on the sofa", "cats on a sofa"],
    ["a plate of food"],
    ["a red circle to the left of a blue square"],
    ["a person rides a brown horse", "a man on horseback", "someone riding a horse in a field"],
    ["a crowd of people walks along a city street"],
]


@pytest.mark.skipif(shutil.which("java") is None, reason="METEOR parity needs Java (OpenJDK)")
@pytest.mark.slow
def test_meteor_matches_pycocoevalcap():
    from pycocoevalcap.meteor.meteor import Meteor

    corpus, per_image = meteor(CANDIDATES, REFERENCES, tokenize=False)
    scorer = Meteor()
    with contextlib.redirect_stdout(io.StringIO()):
        want, want_per_image = scorer.compute_score(
            {i: r for i, r in enumerate(REFERENCES)}, {i: [c] for i, c in enumerate(CANDIDATES)}
        )
    del scorer
    assert corpus == pytest.approx(want, rel=1e-9)
    np.testing.assert_allclose(per_image.numpy(), want_per_image, rtol=1e-9)
    assert per_image[2] == 0 and per_image[3] > 0.4  # empty caption scores 0; a near copy scores high


def test_meteor_and_spice_without_java_name_the_fix(monkeypatch):
    monkeypatch.setattr(_java.shutil, "which", lambda name: None)
    for fn, name in ((meteor, "METEOR"), (spice, "SPICE")):
        with pytest.raises(InputError, match=f"{name} runs a Java jar and no `java` is on PATH: install"):
            fn(["a dog"], [["a dog"]])


def test_missing_pycocoevalcap_names_the_fix(monkeypatch):
    monkeypatch.setattr(_java.shutil, "which", lambda name: "java")
    monkeypatch.setattr(_java.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="pip install pycocoevalcap"):
        meteor(["a dog"], [["a dog"]])


def test_spice_detects_corenlp_jars(tmp_path, monkeypatch):
    monkeypatch.setattr(_java.shutil, "which", lambda name: "java")
    assert missing_corenlp_jars(tmp_path) == list(CORENLP_JARS)
    (tmp_path / CORENLP_JARS[0]).write_bytes(b"fake")
    with pytest.raises(InputError, match=f"put {CORENLP_JARS[1]} .* into {tmp_path}") as info:
        check_spice(tmp_path)
    assert "\n" not in str(info.value) and CORENLP_JARS[0] not in str(info.value)
    (tmp_path / CORENLP_JARS[1]).write_bytes(b"fake")
    assert missing_corenlp_jars(tmp_path) == [] and check_spice(tmp_path) == tmp_path


def test_spice_missing_corenlp_is_one_line_before_any_work(monkeypatch, tmp_path):
    monkeypatch.setattr(_java.shutil, "which", lambda name: "java")
    fake_package = tmp_path / "pycocoevalcap"
    (fake_package / "spice" / "lib").mkdir(parents=True)
    monkeypatch.setattr(
        importlib.import_module("xmbench.metrics.captioning.spice"), "pycocoevalcap_dir", lambda m: fake_package
    )
    with pytest.raises(InputError, match="SPICE needs Stanford CoreNLP 3.6.0: put stanford-corenlp-3.6.0.jar and"):
        spice(["a dog"], [["a dog"]])
