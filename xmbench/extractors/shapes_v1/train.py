"""Training of the shapes-v1 evaluator on the shapes train split (CPU-friendly, seeded).

Loss = cross-entropy of every image attribute head + the same heads on the caption tower
(auxiliary, teaches the text encoder the grammar) + a symmetric contrastive (CLIP) loss whose
targets treat captions of identical canonical scenes as positives. AdamW with a one-cycle schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from xmbench.data import get_suite
from xmbench.data.rendered import render_split
from xmbench.extractors.shapes_v1.network import NetConfig, ShapesNet
from xmbench.extractors.shapes_v1.targets import HEAD_NAMES, IGNORE, encode
from xmbench.extractors.training import contrastive_loss, one_cycle_adamw
from xmbench.extractors.training import heads_loss as _heads_loss
from xmbench.text.tokenizer import WordTokenizer


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters; recorded beside the weights."""

    seed: int = 0
    epochs: int = 16
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4
    suite_seed: int = 0
    resolution: int = 32
    limit: int | None = None  # train on the first `limit` samples (tests); None: the whole split
    colour_aug: float = 0.5  # share of images per batch with permuted RGB channels (see permute_colours)


def heads_loss(logits: dict[str, torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
    """Sum over heads of the mean cross-entropy over the samples where the head applies."""
    return _heads_loss(logits, targets, HEAD_NAMES)


_PERMUTATIONS = torch.tensor([[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
_COLOUR_COLS = [HEAD_NAMES.index("colour0"), HEAD_NAMES.index("colour1")]


def permute_colours(
    images: torch.Tensor, targets: torch.Tensor, share: float, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Permute the RGB channels of a random `share` of the images (a random non-identity permutation each).

    Their colour targets become IGNORE, so shape, size, position, count and axis are learnt apart from
    colour: without it the network learns the seen colour-shape pairs and misreads held-out ones.
    Returns (images, targets, mask of the untouched images, which alone enter the contrastive loss).
    """
    n = len(images)
    chosen = torch.rand(n, generator=gen) < share
    perm = _PERMUTATIONS[torch.randint(len(_PERMUTATIONS), (n,), generator=gen)]
    if not chosen.any():
        return images, targets, ~chosen
    images, targets = images.clone(), targets.clone()
    images[chosen] = torch.gather(images[chosen], 1, perm[chosen][:, :, None, None].expand(-1, -1, *images.shape[2:]))
    targets[chosen.nonzero()[:, 0][:, None], torch.tensor(_COLOUR_COLS)] = IGNORE
    return images, targets, ~chosen


def train(config: TrainConfig, log: Callable[[str], None] = lambda s: None) -> tuple[ShapesNet, WordTokenizer, dict]:
    """Train from scratch. Returns (model in eval mode, tokenizer, history with per-epoch losses and seconds)."""
    torch.manual_seed(config.seed)
    suite = get_suite("shapes", resolution=config.resolution, seed=config.suite_seed)
    start = time.perf_counter()
    data = render_split(suite, "train", limit=config.limit)
    log(f"rendered/loaded {len(data.captions)} training images in {time.perf_counter() - start:.1f}s")
    tokenizer = WordTokenizer.from_captions(data.captions)
    net_config = NetConfig(vocab_size=len(tokenizer))
    model = ShapesNet(net_config)
    ids = tokenizer.encode(data.captions, max_len=net_config.max_len)
    targets = encode(data.records)
    images = data.images
    n = len(images)
    steps_per_epoch = (n + config.batch_size - 1) // config.batch_size
    opt, sched = one_cycle_adamw(model, config.lr, config.weight_decay, config.epochs, steps_per_epoch)
    gen = torch.Generator().manual_seed(config.seed)
    history: dict = {"epochs": []}
    model.train()
    for epoch in range(config.epochs):
        order = torch.randperm(n, generator=gen)
        sums = torch.zeros(3)
        for b in range(steps_per_epoch):
            idx = order[b * config.batch_size : (b + 1) * config.batch_size]
            t = targets[idx]
            x, t_img, clean = permute_colours(images[idx], t, config.colour_aug, gen)
            _, img_logits, img_embed = model.encode_images(x)
            txt_logits, txt_embed = model.encode_text(ids[idx])
            losses = torch.stack(
                [
                    heads_loss(img_logits, t_img),
                    heads_loss(txt_logits, t),
                    contrastive_loss(img_embed[clean], txt_embed[clean], model.logit_scale, t[clean]),
                ]
            )
            opt.zero_grad(set_to_none=True)
            losses.sum().backward()
            opt.step()
            sched.step()
            sums += losses.detach()
        mean = (sums / steps_per_epoch).tolist()
        elapsed = time.perf_counter() - start
        history["epochs"].append(
            {
                "epoch": epoch + 1,
                "image_heads": mean[0],
                "text_heads": mean[1],
                "contrastive": mean[2],
                "seconds": elapsed,
            }
        )
        log(
            f"epoch {epoch + 1}/{config.epochs}: image heads {mean[0]:.4f}, text heads {mean[1]:.4f}, "
            f"contrastive {mean[2]:.4f}, {elapsed:.0f}s"
        )
    history["seconds"] = time.perf_counter() - start
    history["config"] = asdict(config)
    model.eval()
    return model, tokenizer, history
