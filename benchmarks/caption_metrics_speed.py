"""BLEU-1..4 + ROUGE-L + CIDEr-D: xmbench against pycocoevalcap's Bleu, Rouge and Cider scorers.

Both score the same pre-tokenised captions (N images x K references, COCO-like: 8-14 words drawn
from a Zipf vocabulary, candidates sharing words with their references). Prints the largest relative
difference of the values (corpus BLEU-1..4, mean ROUGE-L, mean CIDEr-D and every per-image score),
the median time of each side over `--repeats` alternating runs and the ratio, with 1 torch thread,
and the streaming metrics' state size at N/10 and N images (flat for BLEU and ROUGE-L).
Usage: python benchmarks/caption_metrics_speed.py [--n 5000] [--refs 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random

import numpy as np
import torch
from _timing import race

from xmbench.metrics.captioning import (
    BLEU,
    ROUGEL,
    CIDErD,
    bleu_from_statistics,
    bleu_statistics,
    cider_d_per_image,
    rouge_l_per_image,
)


def captions(n: int, refs: int, seed: int = 0) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(2000)]
    weights = [1 / (i + 1) for i in range(len(vocab))]

    def sentence(pool: list[str]) -> str:
        return " ".join(rng.choices(pool, k=rng.randint(8, 14)))

    references, candidates = [], []
    for _ in range(n):
        topic = rng.choices(vocab, weights, k=20)
        references.append([sentence(topic) for _ in range(refs)])
        candidates.append(sentence(topic))
    return candidates, references


def ours(cands: list[str], refs: list[list[str]]) -> dict[str, np.ndarray]:
    stats = bleu_statistics(cands, refs, tokenize=False)
    return {
        "bleu": bleu_from_statistics(stats.sum(0)).numpy(),
        "bleu_per_image": bleu_from_statistics(stats).numpy(),
        "rouge_l": rouge_l_per_image(cands, refs, tokenize=False).numpy(),
        "cider_d": cider_d_per_image(cands, refs, tokenize=False).numpy(),
    }


def peer(cands: list[str], refs: list[list[str]]) -> dict[str, np.ndarray]:
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    gts = {i: r for i, r in enumerate(refs)}
    res = {i: [c] for i, c in enumerate(cands)}
    with contextlib.redirect_stdout(io.StringIO()):  # Bleu prints its totals
        bleu, bleu_per_image = Bleu(4).compute_score(gts, res)
    return {
        "bleu": np.array(bleu),
        "bleu_per_image": np.array(bleu_per_image).T,
        "rouge_l": Rouge().compute_score(gts, res)[1],
        "cider_d": Cider().compute_score(gts, res)[1],
    }


def state_bytes(n: int, cands: list[str], refs: list[list[str]]) -> dict[str, int]:
    """Bytes of each streaming metric's state after `n` images fed in batches of 500."""
    metrics = {"BLEU": BLEU(tokenize=False), "ROUGE-L": ROUGEL(tokenize=False), "CIDEr-D": CIDErD(tokenize=False)}
    for start in range(0, n, 500):
        for m in metrics.values():
            m.update(cands[start : min(n, start + 500)], refs[start : min(n, start + 500)])
    out = {}
    for name, m in metrics.items():
        states = [getattr(m, key) for key in m._defaults]
        out[name] = sum(sum(t.nbytes for t in v) if isinstance(v, list) else v.nbytes for v in states)
    return out


def max_relative_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    return max(float(np.max(np.abs(a[k] - b[k]) / np.maximum(np.abs(b[k]), 1e-300))) for k in a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--refs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cands, refs = captions(args.n, args.refs)
    t_ours, t_peer, r_ours, r_peer = race(lambda: ours(cands, refs), lambda: peer(cands, refs), args.repeats)
    diff = max_relative_difference(r_ours, r_peer)
    print(f"{args.n} images x {args.refs} references, BLEU-1..4 + ROUGE-L + CIDEr-D, 1 thread")
    print(f"values: BLEU {np.round(r_ours['bleu'], 4).tolist()}  ROUGE-L {r_ours['rouge_l'].mean():.4f}  "
          f"CIDEr-D {r_ours['cider_d'].mean():.4f}; max relative difference to pycocoevalcap {diff:.1e}")  # fmt: skip
    print(f"xmbench {t_ours:.2f} s, pycocoevalcap {t_peer:.2f} s (medians of {args.repeats})")
    print(f"ratio: xmbench is {t_peer / t_ours:.1f}x faster than pycocoevalcap")
    small, large = state_bytes(args.n // 10, cands, refs), state_bytes(args.n, cands, refs)
    growth = ", ".join(f"{k} {small[k]} -> {large[k]}" for k in small)
    print(f"state bytes at N = {args.n // 10} -> {args.n}: {growth} (CIDEr-D keeps the captions: its idf needs them)")
    if diff > 1e-9:
        raise SystemExit(f"values differ from pycocoevalcap by {diff:.1e} (> 1e-9 relative)")


if __name__ == "__main__":
    main()
