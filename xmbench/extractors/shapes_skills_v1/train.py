"""Training of the shapes-skills-v1 evaluator on the shapes-skills train split (CPU-friendly, seeded).

Loss = cross-entropy of every image head where it applies + smooth-L1 of the cell radii (pixels) +
the text heads on the canonical text scene (auxiliary: teaches the caption tower the grammar) + v1's
symmetric contrastive loss, captions of one canonical scene counting as positives. Two augmentations
(`augment`): permuted RGB channels (v1's decorrelation of colour from shape and texture) and shifted
lone objects (shape read at every offset from the CNN's pooling grid). AdamW with a one-cycle schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from xmbench.data.base import Suite
from xmbench.data.shapes_skills import ShapesSkillsSuite
from xmbench.extractors.shapes_skills_v1.augment import lone_objects, permute_colours, shift_lone_objects
from xmbench.extractors.shapes_skills_v1.network import NetConfig, SkillsNet
from xmbench.extractors.shapes_skills_v1.targets import HEAD_NAMES, encode, encode_text
from xmbench.extractors.training import contrastive_loss, heads_loss, one_cycle_adamw
from xmbench.text.tokenizer import WordTokenizer


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters; recorded beside the weights."""

    seed: int = 0
    epochs: int = 12
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4
    suite_seed: int = 0
    limit: int | None = None  # train on the first `limit` samples (tests); None: the whole split
    colour_aug: float = 0.5  # share of images per batch with permuted RGB channels
    shift_aug: float = 0.5  # share of lone-object images per batch shifted by a few pixels


@dataclass(frozen=True)
class TrainingData:
    """A rendered split with its targets: images uint8 (N,3,32,32), captions, image head classes
    (N, len(HEADS)), cell radii (N, CELLS), text targets (N, len(TEXT_HEADS)) and the lone object of each
    image (N,3) (`augment.lone_objects`)."""

    images: torch.Tensor
    captions: list[str]
    classes: torch.Tensor
    radii: torch.Tensor
    text: torch.Tensor
    lone: torch.Tensor


def training_data(suite: Suite, split: str, limit: int | None = None, chunk: int = 2000) -> TrainingData:
    """Render `split` (its first `limit` samples) with the targets of its records and geometry.

    Example:
        >>> data = training_data(ShapesSkillsSuite(), "train", limit=6)
        >>> data.images.shape, data.classes.shape[0], len(data.captions)
        (torch.Size([6, 3, 32, 32]), 6, 6)
    """
    n = suite.size(split) if limit is None else min(limit, suite.size(split))
    images, captions, classes, radii, text, lone = [], [], [], [], [], []
    for start in range(0, n, chunk):
        batch = suite.batch(split, range(start, min(n, start + chunk)))
        c, r = encode(batch.attributes, suite.resolution)
        images.append(batch.images)
        captions += batch.captions
        classes.append(c)
        radii.append(r)
        text.append(encode_text(batch.attributes))
        lone.append(lone_objects(batch.attributes, suite.resolution))
    parts = (torch.cat(t) for t in (classes, radii, text, lone))
    return TrainingData(torch.cat(images), captions, *parts)


def radius_loss(predicted: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """Mean smooth-L1 (pixels) over the cells that hold an object; zero when none does.

    Example:
        >>> nan = float("nan")
        >>> float(radius_loss(torch.tensor([[4.0, 9.0]]), torch.tensor([[3.0, nan]])))  # |4 - 3| - 0.5
        0.5
    """
    held = ~radii.isnan()
    return F.smooth_l1_loss(predicted[held], radii[held]) if held.any() else predicted.new_zeros(())


def _step_losses(model: SkillsNet, data: TrainingData, ids: torch.Tensor, idx: torch.Tensor, config: TrainConfig,
                 gen: torch.Generator) -> torch.Tensor:  # fmt: skip
    x, classes, true_colours = permute_colours(data.images[idx], data.classes[idx], config.colour_aug, gen)
    x, classes, target_radii, unshifted = shift_lone_objects(
        x, classes, data.radii[idx], data.lone[idx], config.shift_aug, gen
    )
    clean = true_colours & unshifted
    _, logits, radii, image_embed = model.encode_images(x)
    text_logits, text_embed = model.encode_text(ids[idx])
    text = data.text[idx]
    return torch.stack(
        [
            heads_loss(logits, classes, HEAD_NAMES),
            radius_loss(radii, target_radii),
            heads_loss(text_logits, text, tuple(model.text_heads)),
            contrastive_loss(image_embed[clean], text_embed[clean], model.logit_scale, text[clean]),
        ]
    )


def train(config: TrainConfig, log: Callable[[str], None] = lambda s: None) -> tuple[SkillsNet, WordTokenizer, dict]:
    """Train from scratch on shapes-skills (suite seed `config.suite_seed`) at 32 px.

    Returns:
        (model in eval mode, tokenizer, history with per-epoch losses and seconds, and the config).
    """
    torch.manual_seed(config.seed)
    start = time.perf_counter()
    data = training_data(ShapesSkillsSuite(seed=config.suite_seed), "train", limit=config.limit)
    log(f"rendered {len(data.captions)} training images in {time.perf_counter() - start:.1f}s")
    tokenizer = WordTokenizer.from_captions(data.captions)
    model = SkillsNet(NetConfig(vocab_size=len(tokenizer)))
    ids = tokenizer.encode(data.captions, max_len=model.cfg.max_len)
    n = len(data.captions)
    steps = (n + config.batch_size - 1) // config.batch_size
    opt, sched = one_cycle_adamw(model, config.lr, config.weight_decay, config.epochs, steps)
    gen = torch.Generator().manual_seed(config.seed)
    history: dict = {"epochs": []}
    names = ("image_heads", "radius", "text_heads", "contrastive")
    model.train()
    for epoch in range(config.epochs):
        order = torch.randperm(n, generator=gen)
        sums = torch.zeros(len(names))
        for b in range(steps):
            losses = _step_losses(model, data, ids, order[b * config.batch_size : (b + 1) * config.batch_size],
                                  config, gen)  # fmt: skip
            opt.zero_grad(set_to_none=True)
            losses.sum().backward()
            opt.step()
            sched.step()
            sums += losses.detach()
        mean = dict(zip(names, (sums / steps).tolist(), strict=True))
        elapsed = time.perf_counter() - start
        history["epochs"].append({"epoch": epoch + 1, **mean, "seconds": elapsed})
        log(
            f"epoch {epoch + 1}/{config.epochs}: "
            + ", ".join(f"{k} {v:.4f}" for k, v in mean.items())
            + f", {elapsed:.0f}s"
        )
    history["seconds"] = time.perf_counter() - start
    history["config"] = asdict(config)
    model.eval()
    return model, tokenizer, history
