"""A shared image-text latent space that works both ways: an aligned autoencoder.

An image encoder and a text encoder map into one latent space (unit-scale vectors, layer-normalised
without gain); an image decoder and a text decoder map back. Training reconstructs each modality
from both latents (image -> z -> image, text -> z -> text, and the cross-modal text -> z -> image
and image -> z -> text) and pulls the two latents of a pair together (squared distance). Captioning
decodes the image's latent (beam search); generation decodes the caption's latent into an image.

Design notes: this is the deterministic, aligned-autoencoder member of the bimodal family (JMVAE,
Suzuki et al. 2016; MVAE, Wu & Goodman 2018 are its variational cousins): generation draws no noise,
so `generate` returns the same image for a caption under every seed (the decoder's conditional mean:
blurry where the caption leaves the scene open, e.g. where two related objects sit).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from baselines.captioners.base import CAPTION_BATCH, TrainableCaptioner, teacher_inputs, token_loss
from baselines.captioners.decoding import State
from baselines.captioners.nets import (
    ConvEncoder,
    ImageDecoder,
    attend_words,
    attention_decoder,
    attention_start,
    teacher_forced_attention,
)
from baselines.captioners.vocab import PAD
from xmbench.text.encoder import CaptionEncoder

Tensor = torch.Tensor


class SharedLatent(TrainableCaptioner):
    """Image and text encoders into one latent; image and text decoders out of it. A Captioner and a
    Generator. Options: latent (size of z), width (CNNs), embed, hidden (text decoder LSTM), align
    (weight of the latent distance), image_weight (weight of the image reconstructions), grid (False:
    one latent vector; True: a 4x4 grid of latent vectors, one per cell of the image encoder's grid,
    the text encoder predicting all 16, the text decoder attending over them as Show-Attend-Tell does
    over its CNN grid), attention (the attention MLP's size, with grid), batch_size, steps and the
    common ones."""

    name: ClassVar[str] = "shared-latent"
    summary: ClassVar[str] = "aligned image-text autoencoder on one latent space: captions images and generates them"
    VERSION: ClassVar[int] = 1
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "latent": 64,
        "width": 16,
        "embed": 64,
        "hidden": 128,
        "align": 1.0,
        "image_weight": 5.0,
        "grid": False,
        "attention": 64,
        "batch_size": 64,
        "steps": 800,
    }

    def __init__(self, vocab: list[str], resolution: int, max_len: int, **options: Any) -> None:
        super().__init__(vocab, resolution, max_len, **options)
        o = self.options
        encoder = ConvEncoder(resolution, o["width"], grid=4)
        cells = 16 if o["grid"] else 1
        self.nets.update(
            {
                "image_encoder": encoder,
                "image_latent": nn.Sequential(
                    nn.Linear(encoder.channels * 16 // cells, o["latent"]),
                    nn.LayerNorm(o["latent"], elementwise_affine=False),
                ),
                "text_encoder": CaptionEncoder(len(self.tokenizer), dim=o["latent"] * cells),
                "text_latent": nn.LayerNorm(o["latent"], elementwise_affine=False),
                "image_decoder": ImageDecoder(o["latent"], resolution, o["width"], grid=bool(o["grid"])),
            }
        )
        if o["grid"]:
            words = attention_decoder(cells, o["latent"], o["hidden"], o["embed"], o["attention"], len(self.tokenizer))
            self.nets["text_decoder"] = nn.ModuleDict(words)
        else:
            self.nets.update(
                {
                    "latent_in": nn.Linear(o["latent"], o["embed"]),
                    "words": nn.Embedding(len(self.tokenizer), o["embed"]),
                    "lstm": nn.LSTM(o["embed"], o["hidden"], batch_first=True),
                    "out": nn.Linear(o["hidden"], len(self.tokenizer)),
                }
            )
        self.finish_init()

    def image_latent(self, images: Tensor) -> Tensor:
        """float (N, latent) for images float (N,3,R,R) in [-1,1]; with `grid`, (N, 16, latent): one
        latent per cell of the encoder's 4x4 grid."""
        features = self.nets["image_encoder"](images)
        cells = features.flatten(2).transpose(1, 2) if self.options["grid"] else features.flatten(1)
        return self.nets["image_latent"](cells)

    def text_latent(self, ids: Tensor) -> Tensor:
        """float (N, latent), or (N, 16, latent) with `grid`, for END-terminated caption ids int64 (N, L)."""
        sentence = self.nets["text_encoder"](ids)
        shape = (len(ids), 16, self.options["latent"]) if self.options["grid"] else sentence.shape
        return self.nets["text_latent"](sentence.view(shape))

    def _text_logits(self, z: Tensor, ids: Tensor) -> Tensor:
        if self.options["grid"]:
            nets = self.nets["text_decoder"]
            words = nets["words"](teacher_inputs(ids))
            return teacher_forced_attention(nets, attention_start(nets, z), words, (ids != PAD).float())[0]
        inputs = torch.cat([self.nets["latent_in"](z)[:, None], self.nets["words"](teacher_inputs(ids))], 1)
        hidden, _ = self.nets["lstm"](inputs)
        return self.nets["out"](hidden[:, 1:])

    def loss(self, images: Tensor, ids: Tensor, rng: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        n = len(images)
        z_image, z_text = self.image_latent(images), self.text_latent(ids)
        z = torch.cat([z_image, z_text])  # both latents through each decoder in one pass
        decoded = self.nets["image_decoder"](z)
        image_self = nn.functional.mse_loss(decoded[:n], images)
        image_cross = nn.functional.mse_loss(decoded[n:], images)
        logits = self._text_logits(z, ids.repeat(2, 1))
        text_cross, text_self = token_loss(logits[:n], ids), token_loss(logits[n:], ids)
        align = (z_image - z_text).pow(2).sum(-1).mean() / z.shape[-1]
        o = self.options
        loss = o["image_weight"] * (image_self + image_cross) + text_self + text_cross + o["align"] * align
        logs = {"image_self": image_self, "image_cross": image_cross, "text_self": text_self}
        logs.update(text_cross=text_cross, align=align, loss=loss)
        return loss, {k: v.item() for k, v in logs.items()}

    def decoder_start(self, images: Tensor) -> State:
        if self.options["grid"]:
            return attention_start(self.nets["text_decoder"], self.image_latent(images))
        _, (h, c) = self.nets["lstm"](self.nets["latent_in"](self.image_latent(images))[:, None])
        return h[0], c[0]

    def decoder_step(self, tokens: Tensor, state: State) -> tuple[Tensor, State]:
        if self.options["grid"]:
            nets = self.nets["text_decoder"]
            logits, state, _ = attend_words(nets, nets["words"](tokens), state)
            return torch.log_softmax(logits, 1), state
        h, c = state
        out, (h, c) = self.nets["lstm"](self.nets["words"](tokens)[:, None], (h[None], c[None]))
        return torch.log_softmax(self.nets["out"](out[:, 0]), 1), (h[0], c[0])

    # ---- the Generator contract ---------------------------------------------------------------
    @torch.no_grad()
    def generate(self, captions: list[str], seed: int) -> Tensor:
        """uint8 (N,3,R,R): the image decoded from each caption's latent (the same under every seed)."""
        was_training = self.training
        self.eval()
        out = [torch.empty(0, 3, self.resolution, self.resolution, dtype=torch.uint8)]
        try:
            for start in range(0, len(captions), CAPTION_BATCH):
                ids = self.tokenizer.encode(list(captions[start : start + CAPTION_BATCH]), self.max_len)
                images = self.nets["image_decoder"](self.text_latent(ids.to(self.device)))
                out.append(((images.float() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).cpu())
        finally:
            self.train(was_training)
        return torch.cat(out)

    def sample_grid(self, images: Tensor, captions: list[str]) -> bytes:
        """PNG: the images with the model's captions, then the images it generates for their captions."""
        from xmbench.report.grid import caption_grid_png

        both = torch.cat([images, self.generate(captions, seed=0)])
        return caption_grid_png(both, [*self.caption(images, 0), *captions], columns=4)
