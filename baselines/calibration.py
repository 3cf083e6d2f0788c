"""Calibration generators: where every leaderboard's floor and ceiling lie.

- RealGenerator: the suite's own images for its captions (the ceiling).
- RetrievalGenerator: the training image whose caption is closest to the query by TF-IDF cosine over
  words and word bigrams (a strong non-generative reference; it never uses the evaluator's encoder).
- NoiseGenerator: uniform random pixels (the floor).
All follow the Generator contract: uint8 (N,3,H,W), deterministic given the seed, batch-independent.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import ClassVar

import numpy as np
import scipy.sparse
import torch

from baselines.data import load_split
from xmbench.data.base import Suite
from xmbench.errors import InputError
from xmbench.seeding import derive_seed
from xmbench.text.tokenizer import words


class RealGenerator:
    """Returns split images for the split's captions: caption -> the first index with that caption.

    `images_for(indices)` gives the images of the split by index, for callers that know them.
    """

    VERSION: ClassVar[int] = 1  # bump when outputs change (tests/baselines/test_baseline_golden.py)
    role: ClassVar[str] = "ceiling"  # its place on a leaderboard's scale

    @classmethod
    def for_suite(cls, suite: Suite, split: str | None = None) -> RealGenerator:
        """The images of `split` (default: the suite's evaluation split)."""
        return cls(suite, split or suite.eval_split)

    def __init__(self, suite: Suite, split: str) -> None:
        suite.check_split(split)
        self.suite, self.split = suite, split
        self._index: dict[str, int] = {}
        for i, c in enumerate(suite.captions(split, range(suite.size(split)))):
            self._index.setdefault(c, i)

    def images_for(self, indices: list[int]) -> torch.Tensor:
        """uint8 (N,3,H,W) images of the split at `indices`."""
        return self.suite.batch(self.split, indices).images

    def generate(self, captions: list[str], seed: int) -> torch.Tensor:
        missing = [c for c in captions if c not in self._index]
        if missing:
            raise InputError(
                f"the real generator only knows captions of {self.suite.name}/{self.split}; "
                f"{missing[0]!r} is not one (evaluate it on that split)"
            )
        return self.images_for([self._index[c] for c in captions])


def _terms(caption: str) -> list[str]:
    w = words(caption)
    return w + [f"{a} {b}" for a, b in zip(w, w[1:], strict=False)]


class RetrievalGenerator:
    """Nearest training caption by TF-IDF (smoothed idf, L2-normalised) cosine; returns its image.

    Ties go to the lowest training index, so the output does not depend on the seed.
    """

    VERSION: ClassVar[int] = 1  # bump when outputs change (tests/baselines/test_baseline_golden.py)
    role: ClassVar[str] = "reference"  # its place on a leaderboard's scale

    @classmethod
    def for_suite(cls, suite: Suite, split: str | None = None) -> RetrievalGenerator:
        """Retrieval from `split` (default "train")."""
        return cls(suite, split or "train")

    def __init__(self, suite: Suite, split: str = "train", limit: int | None = None) -> None:
        self.data = load_split(suite, split, limit=limit)
        docs = [Counter(_terms(c)) for c in self.data.captions]
        df = Counter(t for d in docs for t in d)
        self.vocab = {t: i for i, t in enumerate(sorted(df))}
        n = len(docs)
        self.idf = [math.log((1 + n) / (1 + df[t])) + 1 for t in sorted(df)]
        self.matrix = self._vectors(docs)

    def _vectors(self, docs: list[Counter]) -> scipy.sparse.csr_matrix:
        """L2-normalised TF-IDF rows, (len(docs), vocabulary) sparse float64."""
        rows, cols, vals = [], [], []
        for r, d in enumerate(docs):
            for t, k in d.items():
                if t in self.vocab:
                    rows.append(r)
                    cols.append(self.vocab[t])
                    vals.append(k * self.idf[self.vocab[t]])
        m = scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(self.vocab)))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        return scipy.sparse.diags(1 / np.maximum(norms, 1e-12)) @ m

    def nearest(self, captions: list[str]) -> torch.Tensor:
        """int64 (N,) training indices of the closest captions."""
        q = self._vectors([Counter(_terms(c)) for c in captions])
        scores = (q @ self.matrix.T).toarray()  # (N, n_train)
        return torch.from_numpy(scores.argmax(axis=1)).to(torch.int64)

    def generate(self, captions: list[str], seed: int) -> torch.Tensor:
        return self.data.images[self.nearest(list(captions))]


class NoiseGenerator:
    """Uniform random uint8 pixels; image i depends only on (seed, i)."""

    VERSION: ClassVar[int] = 1  # bump when outputs change (tests/baselines/test_baseline_golden.py)
    role: ClassVar[str] = "floor"  # its place on a leaderboard's scale

    @classmethod
    def for_suite(cls, suite: Suite, split: str | None = None) -> NoiseGenerator:
        """Noise at the suite's resolution (`split` is not used)."""
        return cls(suite.resolution)

    def __init__(self, resolution: int) -> None:
        self.resolution = resolution

    def generate(self, captions: list[str], seed: int) -> torch.Tensor:
        r = self.resolution
        out = torch.empty(len(captions), 3, r, r, dtype=torch.uint8)
        for i in range(len(captions)):
            g = torch.Generator().manual_seed(derive_seed(seed, "sample", i))
            out[i] = torch.randint(0, 256, (3, r, r), generator=g, dtype=torch.uint8)
        return out
