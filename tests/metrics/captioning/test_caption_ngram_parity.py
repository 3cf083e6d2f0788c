"""BLEU, ROUGE-L and CIDEr-D against pycocoevalcap's Bleu, Rouge and Cider scorers on identical tokenised input."""

import contextlib
import io
import random

import numpy as np
import pytest
import torch

from xmbench.errors import InputError
from xmbench.metrics.captioning.bleu import BLEU, bleu, bleu_from_statistics, bleu_statistics
from xmbench.metrics.captioning.cider import CIDErD, cider_d, cider_d_per_image
from xmbench.metrics.captioning.rouge import ROUGEL, lcs_length, rouge_l, rouge_l_per_image

_VOCAB = ["a", "an", "the", "red", "blue", "green", "circle", "square", "triangle", "star", "left", "right", "of",
          "above", "below", "big", "small", "two"]  # fmt: skip


def _caption(rng: random.Random) -> str:
    return " ".join(rng.choice(_VOCAB) for _ in range(rng.choice([0, 1, 2, 3, 5, 7, 9, 12, 15])))


def _random_set(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    refs = [[_caption(rng) for _ in range(rng.randint(1, 10))] for _ in range(n)]
    cands = [rng.choice(r) if rng.random() < 0.15 else _caption(rng) for r in refs]  # some exact matches
    return cands, refs


def _edge_sets() -> list[tuple[list[str], list[list[str]]]]:
    return [
        (["a red circle"], [["a red circle", "the blue square"]]),  # single image: CIDEr idf all 0
        ([""], [["a red circle"]]),  # empty candidate
        (["", "a"], [[""], ["a", ""]]),  # empty candidate and empty references
        (["a b", "a b c"], [["a b c", "a b"], ["a", "a b c d e"]]),  # ties for the closest reference length
        (["a a a a", "b b"], [["a a", "a"], ["b", "b b b"]]),  # clipped counts
        (["x y z", "x y z"], [["x y z"], ["x y z"]]),  # duplicates
    ]


def _coco(scorer, cands, refs):
    gts = {i: list(r) for i, r in enumerate(refs)}
    res = {i: [c] for i, c in enumerate(cands)}
    with contextlib.redirect_stdout(io.StringIO()):
        return scorer.compute_score(gts, res)


def _sets():
    return [_random_set(300, seed) for seed in range(3)] + _edge_sets()


@pytest.mark.parametrize("index", range(9))
def test_bleu_matches_pycocoevalcap(index):
    from pycocoevalcap.bleu.bleu import Bleu

    cands, refs = _sets()[index]
    corpus, per_image = _coco(Bleu(4), cands, refs)
    stats = bleu_statistics(cands, refs, tokenize=False)
    np.testing.assert_allclose(bleu(cands, refs, tokenize=False).numpy(), corpus, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(bleu_from_statistics(stats).numpy(), np.array(per_image).T, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("index", range(9))
def test_rouge_l_matches_pycocoevalcap(index):
    from pycocoevalcap.rouge.rouge import Rouge

    cands, refs = _sets()[index]
    mean, per_image = _coco(Rouge(), cands, refs)
    np.testing.assert_allclose(rouge_l_per_image(cands, refs, tokenize=False).numpy(), per_image, rtol=1e-9)
    assert float(rouge_l(cands, refs, tokenize=False)) == pytest.approx(mean, rel=1e-9)


@pytest.mark.parametrize("index", range(9))
def test_cider_d_matches_pycocoevalcap(index):
    from pycocoevalcap.cider.cider import Cider

    cands, refs = _sets()[index]
    mean, per_image = _coco(Cider(), cands, refs)
    np.testing.assert_allclose(cider_d_per_image(cands, refs, tokenize=False).numpy(), per_image, rtol=1e-9, atol=1e-12)
    assert float(cider_d(cands, refs, tokenize=False)) == pytest.approx(mean, rel=1e-9, abs=1e-12)


def test_cider_d_all_references_empty_scores_zero():
    # pycocoevalcap raises here (max() of no document frequencies); xmbench scores every image 0
    assert cider_d_per_image(["a", "b"], [[""], [""]], tokenize=False).tolist() == [0.0, 0.0]


def test_lcs_length_matches_dynamic_programme():
    rng = random.Random(1)
    for _ in range(300):
        a, b = _caption(rng).split(), _caption(rng).split()
        table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i, x in enumerate(a):
            for j, y in enumerate(b):
                table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
        assert lcs_length(a, b) == table[-1][-1]


def test_streaming_metrics_equal_functional():
    cands, refs = _random_set(120, seed=7)
    bleu_m, rouge_m, cider_m = BLEU(per_image=True, tokenize=False), ROUGEL(tokenize=False), CIDErD(tokenize=False)
    for start in range(0, 120, 50):
        for m in (bleu_m, rouge_m, cider_m):
            m.update(cands[start : start + 50], refs[start : start + 50])
    torch.testing.assert_close(bleu_m.compute(), bleu(cands, refs, tokenize=False), rtol=1e-12, atol=0)
    torch.testing.assert_close(bleu_m.per_image_statistics(), bleu_statistics(cands, refs, tokenize=False))
    torch.testing.assert_close(rouge_m.compute(), rouge_l(cands, refs, tokenize=False), rtol=1e-12, atol=0)
    torch.testing.assert_close(cider_m.per_image_scores(), cider_d_per_image(cands, refs, tokenize=False))


def test_tokenize_true_applies_ptb_conventions():
    # PTB-tokenised, the punctuated candidate equals its reference exactly
    assert float(rouge_l(["A Red circle, top-left."], [["a red circle top-left"]])) == 1.0
    assert float(rouge_l(["A Red circle, top-left."], [["a red circle top-left"]], tokenize=False)) < 1.0


@pytest.mark.parametrize(
    ("cands", "refs", "match"),
    [
        ("a cat", [["a cat"]], "list of str"),
        (["a", "b"], [["a"]], "2 candidate captions but 1"),
        ([None], [["a"]], "candidate caption 0 is NoneType"),
        (["a"], [[]], r"references\[0\] must be a non-empty list"),
        (["a"], ["a"], r"references\[0\] must be a non-empty list"),
        (["a"], [[3]], r"references\[0\] holds a int"),
    ],
)
def test_bad_inputs_one_line(cands, refs, match):
    for fn in (bleu, rouge_l, cider_d):
        with pytest.raises(InputError, match=match):
            fn(cands, refs)
