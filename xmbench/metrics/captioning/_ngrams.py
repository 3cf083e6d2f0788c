"""Vectorised n-gram counting shared by BLEU and CIDEr-D.

`ngram_table` maps every distinct n-gram (n = 1..max_n) of a list of token sequences to a dense
integer id (ids of different orders never collide) and returns one entry per (sequence, distinct
n-gram) with its count, as numpy arrays, so that clipping, document frequencies and dot products are
array operations instead of dictionary look-ups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xmbench.metrics.captioning._inputs import Tokens


@dataclass(frozen=True)
class NgramTable:
    """Entries (E,) int64 arrays: `sequence` index, n-gram id `gram` (0..n_grams-1), `order` (n - 1),
    `count` (occurrences of the n-gram in the sequence); `lengths` (S,) token counts; `n_grams` the
    number of distinct n-grams over all sequences."""

    sequence: np.ndarray
    gram: np.ndarray
    order: np.ndarray
    count: np.ndarray
    lengths: np.ndarray
    n_grams: int


def unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted distinct values, index of each value's distinct value, count of each distinct value).

    np.unique by sorting: numpy 2.x's hash-based np.unique is two orders of magnitude slower on
    large int64 keys.
    """
    order = np.argsort(values)
    ordered = values[order]
    first = np.ones(values.size, dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(values.size, dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    return ordered[first], inverse, np.diff(np.append(starts, values.size))


def ngram_table(sequences: Sequence[Tokens], max_n: int) -> NgramTable:
    """Distinct n-grams (n = 1..max_n) of each token sequence, with counts; see `NgramTable`."""
    flat = [t for seq in sequences for t in seq]
    vocab = {t: i for i, t in enumerate(dict.fromkeys(flat))}
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    lengths = np.fromiter((len(seq) for seq in sequences), dtype=np.int64, count=len(sequences))
    owner = np.repeat(np.arange(len(sequences), dtype=np.int64), lengths)
    room = np.repeat(np.cumsum(lengths), lengths) - np.arange(ids.size)  # tokens from each position to the end
    parts: list[tuple[np.ndarray, ...]] = []
    grams, offset = ids, 0  # grams[i]: id of the n-gram starting at position i (valid where room >= n)
    for n in range(1, max_n + 1):
        valid = np.flatnonzero(room >= n)
        if valid.size == 0:
            break
        if n > 1:
            keys = grams[valid] * max(len(vocab), 1) + ids[valid + n - 1]
            grams = np.full(ids.size, -1, dtype=np.int64)
            grams[valid] = unique(keys)[1]
        n_order = int(grams[valid].max()) + 1
        pairs, _, count = unique(owner[valid] * n_order + grams[valid])
        parts.append((pairs // n_order, pairs % n_order + offset, np.full(pairs.size, n - 1), count))
        offset += n_order
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return NgramTable(empty, empty, empty, empty, lengths, 0)
    sequence, gram, order, count = (np.concatenate(p).astype(np.int64) for p in zip(*parts, strict=True))
    return NgramTable(sequence, gram, order, count, lengths, offset)


@dataclass(frozen=True)
class CaptionSet:
    """Candidates and references of N images in one n-gram table: sequences 0..N-1 are the candidates,
    then every image's references in order. `image` (S,) is each sequence's image, `refs_per_image` (N,)."""

    table: NgramTable
    image: np.ndarray
    refs_per_image: np.ndarray

    @property
    def n_images(self) -> int:
        return self.refs_per_image.size

    def keys(self, candidates: bool) -> tuple[np.ndarray, np.ndarray]:
        """(entry indices, image·n_grams + gram keys) of the candidates' entries or of the references'."""
        t = self.table
        idx = np.flatnonzero((t.sequence < self.n_images) == candidates)
        return idx, self.image[t.sequence[idx]] * t.n_grams + t.gram[idx]


def caption_set(candidates: Sequence[Tokens], references: Sequence[Sequence[Tokens]], max_n: int) -> CaptionSet:
    """The n-gram table of N candidates and their references; see `CaptionSet`."""
    refs_per_image = np.fromiter((len(r) for r in references), dtype=np.int64, count=len(references))
    n = refs_per_image.size
    image = np.concatenate([np.arange(n, dtype=np.int64), np.repeat(np.arange(n, dtype=np.int64), refs_per_image)])
    table = ngram_table([*candidates, *(r for refs in references for r in refs)], max_n)
    return CaptionSet(table, image, refs_per_image)


def lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """values[i] where keys[i] == query, for each query (keys unique), 0 where a query is absent."""
    if keys.size == 0:
        return np.zeros(queries.size, dtype=values.dtype)
    order = np.argsort(keys)
    sorted_keys = keys[order]
    at = np.searchsorted(sorted_keys, queries).clip(max=keys.size - 1)
    return np.where(sorted_keys[at] == queries, values[order][at], 0)
