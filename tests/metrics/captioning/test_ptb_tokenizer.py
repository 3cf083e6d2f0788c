"""ptb_tokenize against pycocoevalcap's PTBTokenizer (the Stanford Java tool it ships) on identical captions."""

import shutil

import pytest
from ptb_corpus import HAND_WRITTEN, random_captions

from xmbench.text.ptb import PUNCTUATION, ptb_tokenize

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="PTBTokenizer parity needs Java (OpenJDK)")


def _java_tokens(captions: list[str]) -> list[str]:
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    out = PTBTokenizer().tokenize({i: [{"caption": c}] for i, c in enumerate(captions)})
    return [out[i][0] for i in range(len(captions))]


def test_equal_to_stanford_ptbtokenizer():
    captions = HAND_WRITTEN + random_captions(600, seed=0)
    java = _java_tokens(captions)
    mismatches = [(c, j, " ".join(ptb_tokenize(c))) for c, j in zip(captions, java, strict=True)]
    mismatches = [m for m in mismatches if m[1] != m[2]]
    assert not mismatches, f"{len(mismatches)} captions differ, first: {mismatches[0]}"


def test_known_conventions():
    assert ptb_tokenize("A top-left RED square, doesn't it?") == ["a", "top-left", "red", "square", "does", "n't", "it"]
    assert ptb_tokenize("(x) [y] {z}") == ["-lrb-", "x", "-rrb-", "-lsb-", "y", "-rsb-", "-lcb-", "z", "-rcb-"]
    assert ptb_tokenize("") == [] and ptb_tokenize(" ... -- ") == []
    assert not PUNCTUATION & set(ptb_tokenize("a. b, c; d: e! f? g -- h ... i 'j' \"k\""))
