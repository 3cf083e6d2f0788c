"""The caption metrics as the runner computes them: values equal the functional metrics, CIs resample images."""

import numpy as np
import pytest

from xmbench.data.shapes import ShapesSuite
from xmbench.errors import InputError
from xmbench.metrics.bootstrap import percentile_interval, resample_indices
from xmbench.metrics.captioning import bleu, cider_d_per_image, rouge_l
from xmbench.metrics.captioning.scores import Bootstrap, CaptionSet, score_captions


@pytest.fixture(scope="module")
def captions():
    s = ShapesSuite()
    idx = range(80)
    cands = s.captions("test", idx)
    cands[3], cands[5] = "", "A Red, circle."
    return cands, s.references("test", idx)


def test_values_equal_the_functional_metrics(captions):
    cands, refs = captions
    v = score_captions(["bleu", "rouge_l", "cider_d"], CaptionSet(cands, refs), Bootstrap(0))
    assert [v[f"bleu_{k}"].value for k in range(1, 5)] == pytest.approx(bleu(cands, refs).tolist(), rel=1e-12)
    assert v["rouge_l"].value == pytest.approx(float(rouge_l(cands, refs)), rel=1e-12)
    assert v["cider_d"].value == pytest.approx(float(cider_d_per_image(cands, refs).mean()), rel=1e-12)
    assert v["bleu_4"].ci_low is None and v["bleu_4"].details["tokenizer"] == "ptb"


def test_bleu_interval_resamples_images(captions):
    cands, refs = captions
    boot = Bootstrap(60, 0.9, seed=4)
    v = score_captions(["bleu", "cider_d"], CaptionSet(cands, refs), boot)
    # brute force: corpus BLEU-4 and mean CIDEr-D (document frequencies of the whole set) per resample
    per_image = cider_d_per_image(cands, refs).numpy()
    bleu4, cider = [], []
    for idx in resample_indices(len(cands), 60, 4):
        bleu4.append(float(bleu([cands[i] for i in idx], [refs[i] for i in idx])[3]))
        cider.append(per_image[idx].mean())
    assert (v["bleu_4"].ci_low, v["bleu_4"].ci_high) == pytest.approx(percentile_interval(np.array(bleu4), 0.9))
    assert (v["cider_d"].ci_low, v["cider_d"].ci_high) == pytest.approx(percentile_interval(np.array(cider), 0.9))
    assert v["bleu_4"].ci_low < v["bleu_4"].value < v["bleu_4"].ci_high


def test_bad_inputs(captions):
    cands, refs = captions
    with pytest.raises(InputError, match="unknown caption metric 'blue'; did you mean 'bleu'"):
        score_captions(["blue"], CaptionSet(cands, refs))
    with pytest.raises(InputError, match="got 80 captions for 79 reference lists"):
        score_captions(["bleu"], CaptionSet(cands, refs[1:]))
    with pytest.raises(InputError, match="needs the scene records of a shapes suite"):
        score_captions(["caption_correctness"], CaptionSet(cands, refs))
    with pytest.raises(InputError, match="needs a joint image-text extractor"):
        score_captions(["caption_r_precision"], CaptionSet(cands, refs))


def test_unknown_options_are_refused(captions):
    cands, refs = captions
    with pytest.raises(InputError, match="caption metric 'bleu' takes no option 'max_n'; it takes: none"):
        score_captions(["bleu"], CaptionSet(cands, refs), options={"bleu": {"max_n": 3}})
    with pytest.raises(InputError, match="'caption_r_precision' takes no option 'fold'; it takes: candidates, folds"):
        score_captions(["bleu"], CaptionSet(cands, refs), options={"caption_r_precision": {"fold": 3}})
