"""Diversity of a captioner's output, as captioning papers report it.

Over the N generated captions, after PTB tokenisation (so case and punctuation never make two
captions differ):

- vocabulary: the number of distinct tokens used;
- distinct_1, distinct_2: distinct n-grams / all n-grams (n-grams within captions, counted over all
  captions; 0 when there are none), in [0, 1];
- unique: distinct captions / N, in [1/N, 1];
- novel: the share of captions that are not among the given training captions, in [0, 1] (only
  when training captions are given).

These are properties of the caption set, not means of per-image scores: a bootstrap over images
recomputes them on resampled caption lists (`diversity_of_tokens` on the tokenised captions).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from xmbench.errors import InputError
from xmbench.metrics.captioning._inputs import Tokens, to_tokens
from xmbench.metrics.inputs import check_count

VERSION = 1


def _distinct(captions: Sequence[Tokens], n: int) -> float:
    grams = [c[i : i + n] for c in captions for i in range(len(c) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def diversity_of_tokens(captions: Sequence[Tokens], training: frozenset[Tokens] | None = None) -> dict[str, float]:
    """Diversity figures of tokenised captions (see the module docstring); `training`: tokenised training captions."""
    check_count(len(captions), 1, "diversity", "generated caption")
    out = {
        "vocabulary": float(len({t for c in captions for t in c})),
        "distinct_1": _distinct(captions, 1),
        "distinct_2": _distinct(captions, 2),
        "unique": len(set(captions)) / len(captions),
    }
    if training is not None:
        out["novel"] = sum(c not in training for c in captions) / len(captions)
    return out


def diversity(
    candidates: Sequence[str], *, training_captions: Iterable[str] | None = None, tokenize: bool = True
) -> dict[str, float]:
    """Vocabulary size, distinct-1, distinct-2, share of unique captions and (with training captions) of novel ones.

    Args:
        candidates: the N generated captions.
        training_captions: the captioner's training captions; "novel" is reported only when given.
        tokenize: PTB-tokenise captions (True) or split pre-tokenised strings on whitespace (False).

    Returns:
        {"vocabulary", "distinct_1", "distinct_2", "unique"[, "novel"]} -> float.

    Example:
        >>> d = diversity(["A red circle.", "a red circle", "a blue square"], training_captions=["a red circle"])
        >>> d["vocabulary"], round(d["distinct_1"], 4), round(d["unique"], 4), round(d["novel"], 4)
        (5.0, 0.5556, 0.6667, 0.3333)
    """
    if isinstance(candidates, str) or not all(isinstance(c, str) for c in candidates):
        raise InputError("diversity takes a list of caption strings")
    if isinstance(training_captions, str):
        raise InputError("training_captions must be a list of caption strings, not one str")
    training = None if training_captions is None else frozenset(to_tokens(c, tokenize) for c in training_captions)
    return diversity_of_tokens([to_tokens(c, tokenize) for c in candidates], training)
