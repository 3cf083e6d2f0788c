"""Two gloo processes, each feeding part of the captions: synced caption metrics equal single-process ones
(CIDEr-D's list state carries every caption, so its document frequencies see the whole set)."""

import random

import torch
from gloo_ranks import on_two_ranks

from xmbench.metrics.captioning import BLEU, ROUGEL, CIDErD

_WORDS = ["a", "red", "blue", "circle", "square", "left", "of", "the", "big", "small", "two"]


def _data() -> tuple[list[str], list[list[str]]]:
    rng = random.Random(0)

    def caption() -> str:
        return " ".join(rng.choices(_WORDS, k=rng.randint(0, 9)))

    refs = [[caption() for _ in range(rng.randint(1, 5))] for _ in range(150)]
    return [caption() for _ in refs], refs


def _scores(part: slice) -> dict[str, torch.Tensor]:
    cands, refs = _data()
    bleu, rouge, cider = (
        BLEU(tokenize=False, per_image=True),
        ROUGEL(tokenize=False, per_image=True),
        CIDErD(tokenize=False),
    )
    for m in (bleu, rouge, cider):
        m.update(cands[part], refs[part])
    return {
        "bleu": bleu.compute(),
        "rouge": rouge.compute(),
        "cider": cider.compute(),
        "bleu_rows": bleu.per_image_statistics(),  # contiguous shards: rank order is the original order
        "rouge_rows": rouge.per_image_scores(),
        "cider_rows": cider.per_image_scores(),
    }


def _rank_values(rank: int) -> dict[str, torch.Tensor]:
    return _scores(slice(0, 61) if rank == 0 else slice(61, None))  # unequal shards


def test_two_process_gloo_sync_equals_single_process(tmp_path):
    synced = on_two_ranks(_rank_values, tmp_path)
    single = _scores(slice(None))
    assert set(synced) == set(single)
    for key, value in single.items():
        torch.testing.assert_close(synced[key], value, rtol=1e-12, atol=1e-15, msg=key)
