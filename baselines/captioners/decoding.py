"""Decoding a caption from a step function: greedy and beam search, batched over images.

A decoder is described by `step(tokens, state) -> (log_probs, state)`: tokens int64 (B,) are the
previous outputs (END at the start), log_probs float (B, V) the next token's log-probabilities and
state a tuple of tensors whose first dimension is B. Decoding stops at END or after `max_len` tokens.
Beam search ranks hypotheses by their summed log-probability (no length normalisation, as Show and
Tell); greedy decoding is beam search with one beam, which tests check.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from baselines.captioners.vocab import END, PAD

Tensor = torch.Tensor
State = tuple[Tensor, ...]
Step = Callable[[Tensor, State], tuple[Tensor, State]]


def greedy(step: Step, state: State, max_len: int) -> Tensor:
    """int64 (B, max_len) token ids: the most probable token at every step, PAD after END.

    Example:
        >>> table = torch.log_softmax(torch.tensor([[0.0, 0, 0], [0, 0, 5], [0, 9, 0]]), 1)
        >>> def step(tokens, state):
        ...     return table[tokens], state
        >>> greedy(step, (torch.zeros(1),), max_len=4).tolist()
        [[2, 1, 0, 0]]
    """
    batch = state[0].shape[0]
    out = torch.full((batch, max_len), PAD, dtype=torch.int64)
    tokens = torch.full((batch,), END, dtype=torch.int64, device=state[0].device)
    done = torch.zeros(batch, dtype=torch.bool, device=tokens.device)
    for t in range(max_len):
        log_probs, state = step(tokens, state)
        tokens = log_probs.argmax(1)
        out[:, t] = torch.where(done, PAD, tokens).cpu()
        done |= tokens == END
        if bool(done.all()):
            break
    return out


def _reorder(state: State, index: Tensor) -> State:
    return tuple(s.index_select(0, index) for s in state)


def beam_search(step: Step, state: State, max_len: int, beam: int) -> Tensor:
    """int64 (B, max_len) token ids of the highest-scoring hypothesis per row, PAD after END.

    A finished hypothesis keeps its score (its only continuation is END at no cost), so hypotheses of
    different lengths compete on their summed log-probabilities.
    """
    if beam < 1:
        raise ValueError(f"beam must be >= 1, got {beam}")
    batch = state[0].shape[0]
    device = state[0].device
    state = tuple(s.repeat_interleave(beam, 0) for s in state)
    scores = torch.full((batch, beam), float("-inf"), device=device)
    scores[:, 0] = 0.0  # all beams start identical: expand the first only
    history = torch.full((batch * beam, 0), PAD, dtype=torch.int64, device=device)
    tokens = torch.full((batch * beam,), END, dtype=torch.int64, device=device)
    done = torch.zeros(batch * beam, dtype=torch.bool, device=device)
    rows = (torch.arange(batch, device=device) * beam).unsqueeze(1)
    for _ in range(max_len):
        log_probs, state = step(tokens, state)
        vocab = log_probs.shape[1]
        log_probs = log_probs.masked_fill(done.unsqueeze(1), float("-inf"))
        log_probs[:, END] = torch.where(done, torch.zeros_like(log_probs[:, END]), log_probs[:, END])
        total = (scores.unsqueeze(2) + log_probs.view(batch, beam, vocab)).view(batch, beam * vocab)
        scores, flat = total.topk(beam, dim=1)
        origin = (rows + flat // vocab).view(-1)
        tokens = (flat % vocab).view(-1)
        state = _reorder(state, origin)
        previous_done = done.index_select(0, origin)
        history = torch.cat([history.index_select(0, origin), torch.where(previous_done, PAD, tokens)[:, None]], 1)
        done = previous_done | (tokens == END)
        if bool(done.all()):
            break
    best = history.view(batch, beam, -1)[:, 0].cpu()
    out = torch.full((batch, max_len), PAD, dtype=torch.int64)
    out[:, : best.shape[1]] = best
    return out
