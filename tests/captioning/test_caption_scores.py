"""The caption metrics as the runner computes them: values equal the functional metrics, CIs resample images."""

import numpy as np
import pytest

from xmbench.data.shapes import ShapesSuite
from xmbench.errors import InputError
from xmbench.metrics.bootstrap import bootstrap_mean_values, centre_replicates, percentile_interval, resample_indices
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
    # the one convention of every metric: replicates centred on the estimate, clipped to the range, kept
    for name, brute, upper in (("bleu_4", bleu4, 1.0), ("cider_d", cider, None)):
        centred = centre_replicates(np.array(brute), v[name].value, 0.0, upper)
        assert (v[name].ci_low, v[name].ci_high) == pytest.approx(percentile_interval(centred, 0.9))
        assert v[name].bootstrap == pytest.approx(centred.tolist())
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
    with pytest.raises(InputError, match="unknown bleu option 'max_n'; known: bootstrap"):
        score_captions(["bleu"], CaptionSet(cands, refs), options={"bleu": {"max_n": 3}})
    with pytest.raises(InputError, match="unknown caption_r_precision option 'fold'; did you mean 'folds'"):
        score_captions(["bleu"], CaptionSet(cands, refs), options={"caption_r_precision": {"fold": 3}})
    # the same schema as text -> image R-precision: values it refuses are refused here too
    with pytest.raises(InputError, match="option 'candidates' of metric 'caption_r_precision' must be at least 2"):
        score_captions(["bleu"], CaptionSet(cands, refs), options={"caption_r_precision": {"candidates": 1}})
    # the common option: a metric's own resamples
    v = score_captions(["bleu"], CaptionSet(cands, refs), Bootstrap(50), options={"bleu": {"bootstrap": 0}})
    assert v["bleu_4"].ci_low is None


def test_embedding_and_diversity_scores_equal_their_functions(captions):
    import torch

    from xmbench.metrics.captioning.clip_s import clip_s_per_image, refclip_s_per_image
    from xmbench.metrics.captioning.diversity import diversity

    cands, refs = captions
    g = torch.Generator().manual_seed(0)
    n, k = len(cands), sum(len(r) for r in refs)
    images, texts, ref_embed = torch.randn(n, 8, generator=g), torch.randn(n, 8, generator=g), torch.randn(k, 8)
    training = cands[10:40] + ["a tiny red circle in the centre"]
    data = CaptionSet(cands, refs, image_embed=images, text_embed=texts, reference_embed=ref_embed,
                      training_captions=training, encoder={"id": "enc", "weights_hash": "h"})  # fmt: skip
    v = score_captions(["clip_s", "refclip_s", "diversity"], data, Bootstrap(80, seed=2))
    assert v["clip_s"].value == pytest.approx(float(clip_s_per_image(images, texts).mean()), rel=1e-12)
    per_ref = refclip_s_per_image(images, texts, ref_embed, [len(r) for r in refs])
    assert v["refclip_s"].value == pytest.approx(float(per_ref.mean()), rel=1e-12)
    expected = diversity(cands, training_captions=training)
    assert {m: v[m].value for m in expected} == pytest.approx(expected, rel=1e-12)
    for name in ("clip_s", "refclip_s", "distinct_2", "novel", "vocabulary"):
        assert v[name].ci_low <= v[name].value <= v[name].ci_high, name


def test_meteor_reports_the_corpus_value_with_the_per_image_interval(captions, monkeypatch):
    # the jar itself is checked against pycocoevalcap in tests/metrics/captioning; here its result is fixed
    import importlib

    import torch

    meteor_module = importlib.import_module("xmbench.metrics.captioning.meteor")

    per_image = torch.linspace(0.1, 0.5, 80, dtype=torch.float64)
    seen = {}

    def fake(candidates, references, tokenize=True):
        seen.update(candidates=candidates, tokenize=tokenize)
        return 0.27, per_image

    monkeypatch.setattr(meteor_module, "meteor", fake)
    cands, refs = captions
    v = score_captions(["meteor"], CaptionSet(cands, refs), Bootstrap(100, 0.9, seed=1))["meteor"]
    assert v.value == 0.27 and seen["tokenize"] is False and seen["candidates"][5] == "a red circle"
    replicates = bootstrap_mean_values(per_image, 100, 1)
    lo, hi = percentile_interval(replicates + (0.27 - replicates.mean()), 0.9)  # replicates centred on the value
    assert (v.ci_low, v.ci_high) == pytest.approx((lo, hi))
