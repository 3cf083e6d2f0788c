"""METEOR against pycocoevalcap's Meteor scorer on identical tokenised input, its one shared Java process (reuse,
restart, threads); SPICE's and METEOR's one-line errors."""

import contextlib
import importlib
import io
import os
import shutil
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from xmbench.errors import InputError
from xmbench.metrics.captioning import _java, _meteor_process, meteor, spice
from xmbench.metrics.captioning._meteor_process import MeteorProcess
from xmbench.metrics.captioning.meteor import SHARED_PROCESS
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


def java(test):
    """Mark a test that starts or reuses METEOR's jar: these tests share one process (about 10 s to start,
    then well under a second each), so they are `slow` once; `-m "not java"` leaves them out."""
    needs = pytest.mark.skipif(shutil.which("java") is None, reason="METEOR needs Java (OpenJDK)")
    return needs(pytest.mark.java(pytest.mark.slow(test)))


@pytest.fixture(scope="module")
def pycocoevalcap_scores():
    """(corpus, per-image) from pycocoevalcap's own Meteor scorer: a fresh Java process of its own."""
    from pycocoevalcap.meteor.meteor import Meteor

    scorer = Meteor()
    with contextlib.redirect_stdout(io.StringIO()):
        want, want_per_image = scorer.compute_score(
            {i: r for i, r in enumerate(REFERENCES)}, {i: [c] for i, c in enumerate(CANDIDATES)}
        )
    del scorer
    return want, want_per_image


@java
def test_meteor_matches_pycocoevalcap(pycocoevalcap_scores):
    want, want_per_image = pycocoevalcap_scores
    corpus, per_image = meteor(CANDIDATES, REFERENCES, tokenize=False)
    assert corpus == want and per_image.tolist() == want_per_image  # the same jar and lines: identical
    assert per_image[2] == 0 and per_image[3] > 0.4  # empty caption scores 0; a near copy scores high


@java
def test_successive_calls_share_one_process(pycocoevalcap_scores):
    want, want_per_image = pycocoevalcap_scores
    first = meteor(CANDIDATES, REFERENCES, tokenize=False)
    pid = SHARED_PROCESS.pid
    second = meteor(CANDIDATES[::-1], REFERENCES[::-1], tokenize=False)
    assert pid is not None and SHARED_PROCESS.pid == pid
    assert first[0] == second[0] == want  # a reused process scores like pycocoevalcap's fresh one
    assert first[1].tolist() == second[1].tolist()[::-1] == want_per_image
    copy, per_image = meteor(["a red circle"], [["a red circle", "one blue square"]])  # the docstring's example
    assert (round(copy, 3), per_image.shape) == (1.0, (1,)) and SHARED_PROCESS.pid == pid


@java
def test_concurrent_calls_get_their_own_answers():
    serial = [meteor(CANDIDATES[k:], REFERENCES[k:], tokenize=False) for k in range(4)]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda k: meteor(CANDIDATES[k:], REFERENCES[k:], tokenize=False), range(4)))
    assert [(c, p.tolist()) for c, p in parallel] == [(c, p.tolist()) for c, p in serial]


#: a stand-in for the jar speaking its -stdio protocol: SCORE -> the hypothesis' word count as statistics;
#: EVAL -> each statistic / 10, then their sum
FAKE_JAR = """
import sys
for line in sys.stdin:
    fields = line.rstrip("\\n").split(" ||| ")
    if fields[0] == "SCORE":
        answers = [len(fields[-1].split())]
    else:
        stats = [float(f) for f in fields[1:]]
        answers = [*(s / 10 for s in stats), sum(stats)]
    print(*answers, sep="\\n", flush=True)
"""


def test_a_killed_process_is_restarted(monkeypatch):
    monkeypatch.setattr(_meteor_process, "COMMAND", (sys.executable, "-c", FAKE_JAR))
    process = MeteorProcess()
    want = (4.0, [0.3, 0.1])
    assert process.pid is None and process.score(["a b c", "d"], [["x"], ["y z"]]) == want
    pid = process.pid
    assert process.score(["a b c", "d"], [["x"], ["y z"]]) == want and process.pid == pid
    os.kill(pid, signal.SIGKILL)
    assert process.score(["a b c", "d"], [["x"], ["y z"]]) == want and process.pid not in (None, pid)
    process.close()
    assert process.pid is None


def test_a_jar_that_keeps_dying_is_one_line(monkeypatch):
    crash = "import sys; sys.stderr.write('Error: could not reserve heap\\n'); sys.exit(3)"
    monkeypatch.setattr(_meteor_process, "COMMAND", (sys.executable, "-c", crash))
    process = MeteorProcess()
    with pytest.raises(InputError, match=r"failed twice, exit status 3 \(Error: could not reserve heap\); check") as e:
        process.score(["a dog"], [["a dog"]])
    assert "\n" not in str(e.value) and process.pid is None


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


def test_java_metrics_score_while_the_in_process_metrics_do():
    """score_captions runs a metric that needs Java beside the others: here the Java-side scorer can
    finish only once an in-process scorer has started, so scoring them one after the other would time
    out; the values still come back in the order asked."""
    import threading

    from xmbench.metrics.captioning.registry import CaptionMetric
    from xmbench.metrics.captioning.scores import Bootstrap, CaptionSet, score_captions
    from xmbench.metrics.value import MetricValue
    from xmbench.registry import CAPTION_METRICS

    started = threading.Event()

    def value(name: str) -> MetricValue:
        return MetricValue(name, 1.0, None, None, None, 1, True, {})

    def jar_side(data, boot, tokens):
        assert started.wait(timeout=10), "the in-process metric never ran while the jar's did"
        return [value("test_jar_side")]

    def in_process(data, boot, tokens):
        started.set()
        return [value("test_in_process")]

    specs = [
        CaptionMetric("test_jar_side", jar_side, None, None, 1, frozenset({"java"})),
        CaptionMetric("test_in_process", in_process, None, None, 1, frozenset()),
    ]
    for spec in specs:
        CAPTION_METRICS.register(spec.name, spec)
    try:
        out = score_captions([s.name for s in specs], CaptionSet(["a"], [["a"]]), Bootstrap(resamples=0))
    finally:
        for spec in specs:
            CAPTION_METRICS.remove(spec.name)
    assert list(out) == ["test_jar_side", "test_in_process"]
    assert out["test_jar_side"].details == {"version": 1}
