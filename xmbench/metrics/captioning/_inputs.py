"""Caption metric inputs: validation (one-line errors) and tokenisation into token tuples.

Every caption metric takes `candidates` (one generated caption per image) and `references` (a list
of reference captions per image), in that order. With `tokenize=True` captions go through
`xmbench.text.ptb.ptb_tokenize` (pycocoevalcap's PTBTokenizer conventions); with `tokenize=False`
they are taken as already tokenised and split on whitespace.
"""

from __future__ import annotations

from collections.abc import Sequence

from xmbench.errors import InputError
from xmbench.text.ptb import ptb_tokenize

Tokens = tuple[str, ...]


def check_captions(candidates: Sequence[str], references: Sequence[Sequence[str]]) -> None:
    """Raise InputError naming the first problem with (candidates, references)."""
    if isinstance(candidates, str) or not isinstance(candidates, Sequence):
        raise InputError(f"candidates must be a list of str (one caption per image), got {type(candidates).__name__}")
    if isinstance(references, str) or not isinstance(references, Sequence):
        raise InputError(f"references must be a list of lists of str, got {type(references).__name__}")
    if len(candidates) != len(references):
        raise InputError(
            f"got {len(candidates)} candidate captions but {len(references)} reference lists; "
            "give one of each per image"
        )
    for i, caption in enumerate(candidates):
        if not isinstance(caption, str):
            raise InputError(f"candidate caption {i} is {type(caption).__name__}, not str; pass '' for no caption")
    for i, refs in enumerate(references):
        if isinstance(refs, str) or not isinstance(refs, Sequence) or not refs:
            raise InputError(f"references[{i}] must be a non-empty list of str (the image's reference captions)")
        for ref in refs:
            if not isinstance(ref, str):
                raise InputError(f"references[{i}] holds a {type(ref).__name__}; every reference must be a str")


def to_tokens(caption: str, tokenize: bool) -> Tokens:
    """The caption's tokens: PTB-tokenised when `tokenize`, else split on whitespace."""
    return tuple(ptb_tokenize(caption)) if tokenize else tuple(caption.split())


def tokenized(
    candidates: Sequence[str], references: Sequence[Sequence[str]], tokenize: bool
) -> tuple[list[Tokens], list[list[Tokens]]]:
    """Validated token tuples: (one per candidate, one list per image's references)."""
    check_captions(candidates, references)
    cands = [to_tokens(c, tokenize) for c in candidates]
    refs = [[to_tokens(r, tokenize) for r in rs] for rs in references]
    return cands, refs
