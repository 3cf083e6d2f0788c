"""METEOR for several models in one run: xmbench's one shared jar process against one process per model.

Scores `--models` successive models (N images x K references, English caption-like sentences drawn
from a small vocabulary, pre-tokenised) with `xmbench.metrics.captioning.meteor`, which starts the
METEOR 1.5 jar on its first call and reuses it, and with pycocoevalcap's `Meteor` class the way each
model used it before: a new `Meteor()` (a new Java process) per model. Each repeat of ours starts from
a closed process, so both sides pay the jar's start-up in every repeat. Prints the median time of
each side over `--repeats` alternating runs, the ratio, ours per call (the first call includes the
start), and checks that every corpus and per-image value is identical.
Usage: python benchmarks/meteor_process.py [--n 2000] [--refs 5] [--models 7] [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _timing import race

from xmbench.metrics.captioning.meteor import SHARED_PROCESS, meteor

SUBJECTS = ["man", "woman", "boy", "girl", "dog", "cat", "horse", "bird", "person", "child", "player", "cow",
            "sheep", "elephant", "giraffe", "zebra"]  # fmt: skip
OBJECTS = ["table", "street", "field", "beach", "road", "kitchen", "room", "grass", "water", "snow", "bench", "car",
           "bus", "train", "plate", "pizza"]  # fmt: skip
ADJECTIVES = ["red", "blue", "green", "white", "black", "small", "large", "young", "old", "wooden", "busy", "empty",
              "tall", "brown", "yellow"]  # fmt: skip
VERBS = ["sitting", "standing", "walking", "riding", "eating", "holding", "playing", "looking", "lying", "running",
         "parked", "flying"]  # fmt: skip
PREPOSITIONS = ["on", "in", "near", "with", "next to", "under", "behind", "across", "along", "beside"]


def caption(rng: random.Random, topic: list[str]) -> str:
    """One caption-like sentence of 8-14 words, its nouns drawn mostly from the image's `topic`."""
    nouns = topic + rng.sample(SUBJECTS + OBJECTS, 2)
    words = ["a", rng.choice(ADJECTIVES), rng.choice(nouns), rng.choice(VERBS)]
    while len(words) < rng.randint(8, 14):
        words += [rng.choice(PREPOSITIONS), rng.choice(("a", "the")), rng.choice(nouns)]
    return " ".join(words)


def captions(n: int, refs: int, models: int, seed: int = 0) -> tuple[list[list[str]], list[list[str]]]:
    """(one list of N candidate captions per model, N reference lists of `refs` captions)."""
    rng = random.Random(seed)
    topics = [rng.sample(SUBJECTS, 1) + rng.sample(OBJECTS, 2) for _ in range(n)]
    references = [[caption(rng, t) for _ in range(refs)] for t in topics]
    return [[caption(rng, t) for t in topics] for _ in range(models)], references


def ours(candidates: list[list[str]], references: list[list[str]], calls: list[float]) -> list:
    """Every model through xmbench's meteor(), from a closed jar; each call's seconds appended to `calls`."""
    SHARED_PROCESS.close()
    out = []
    for cands in candidates:
        t = time.perf_counter()
        corpus, per_image = meteor(cands, references, tokenize=False)
        calls.append(time.perf_counter() - t)
        out.append((corpus, per_image.tolist()))
    return out


def peer(candidates: list[list[str]], references: list[list[str]]) -> list:
    """Every model through pycocoevalcap's Meteor class, one new Java process per model."""
    from pycocoevalcap.meteor.meteor import Meteor

    gts = dict(enumerate(references))
    out = []
    for cands in candidates:
        scorer = Meteor()
        corpus, per_image = scorer.compute_score(gts, {i: [c] for i, c in enumerate(cands)})
        del scorer  # kills its Java process
        out.append((corpus, list(per_image)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--refs", type=int, default=5)
    parser.add_argument("--models", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.models < 2:
        parser.error("--models must be at least 2: the benchmark measures reuse across models")
    candidates, references = captions(args.n, args.refs, args.models)
    calls: list[float] = []
    t_ours, t_peer, r_ours, r_peer = race(
        lambda: ours(candidates, references, calls), lambda: peer(candidates, references), args.repeats
    )
    first, later = calls[:: args.models], [t for k, t in enumerate(calls) if k % args.models]
    print(f"METEOR, {args.models} models x {args.n} images x {args.refs} references, pre-tokenised")
    print(f"values: corpus METEOR {', '.join(f'{c:.4f}' for c, _ in r_ours)}; identical to pycocoevalcap: "
          f"{r_ours == r_peer}")  # fmt: skip
    print(f"xmbench (one jar) {t_ours:.1f} s, pycocoevalcap (one jar per model) {t_peer:.1f} s "
          f"(medians of {args.repeats})")  # fmt: skip
    print(f"xmbench per call: first (jar start included) {statistics.median(first):.1f} s, "
          f"later {statistics.median(later):.1f} s (medians)")  # fmt: skip
    print(f"ratio: xmbench is {t_peer / t_ours:.1f}x faster than one process per model")
    SHARED_PROCESS.close()
    if r_ours != r_peer:
        raise SystemExit("values differ from pycocoevalcap's Meteor")


if __name__ == "__main__":
    main()
