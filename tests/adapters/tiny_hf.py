"""Tiny random Hugging Face models saved to a folder: a Stable Diffusion pipeline and a BLIP captioner.

Nothing is downloaded: configs are a few channels wide and the tokenizers' vocabularies are written here.
"""

from __future__ import annotations

from pathlib import Path

import torch


def _shapes_words() -> list[str]:
    """The words of the shapes suite's captions: the tiny BLIP's vocabulary."""
    from xmbench.data.shapes import ShapesSuite

    return sorted({w for c in ShapesSuite().captions("train", range(500)) for w in c.split()})


def _byte_characters() -> list[str]:
    """The 256 printable characters byte-level BPE (CLIP's tokenizer) stands each byte for."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("\xa1"), ord("\xac") + 1), *range(ord("\xae"), 256)]
    extra = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(extra)) for b in range(256)]


def save_tiny_stable_diffusion(folder: Path, sample_size: int = 8) -> Path:
    """A Stable Diffusion pipeline with random weights (images of sample_size x sample_size) in `folder`."""
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=sample_size,
        block_out_channels=(8, 16),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        attention_head_dim=2,
        norm_num_groups=4,
    )
    vae = AutoencoderKL(
        block_out_channels=(8,),
        down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",),
        latent_channels=4,
        norm_num_groups=4,
        sample_size=sample_size,
    )
    chars = _byte_characters()
    vocab = {t: i for i, t in enumerate([*chars, *(c + "</w>" for c in chars), "<|startoftext|>", "<|endoftext|>"])}
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=64)
    text = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(vocab),
            hidden_size=16,
            intermediate_size=32,
            num_attention_heads=2,
            num_hidden_layers=1,
            max_position_embeddings=64,
            bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
        )
    )
    scheduler = DDIMScheduler(beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)
    return folder


def save_tiny_blip(folder: Path, image_size: int = 16) -> Path:
    """A BLIP captioning model with random weights and a word-level vocabulary in `folder`."""
    from transformers import BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipImageProcessor, BlipProcessor

    folder.mkdir(parents=True, exist_ok=True)
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", *_shapes_words()]
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(tokens) + "\n")
    tokenizer = BertTokenizer(vocab=str(vocab_file), bos_token="[DEC]", model_max_length=32)
    torch.manual_seed(0)
    ids = {t: i for i, t in enumerate(tokens)}
    config = BlipConfig(
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": image_size,
            "patch_size": 8,
        },
        text_config={
            "vocab_size": len(tokens),
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "encoder_hidden_size": 16,
            "max_position_embeddings": 32,
            "bos_token_id": ids["[DEC]"],
            "pad_token_id": ids["[PAD]"],
            "sep_token_id": ids["[SEP]"],
            "eos_token_id": ids["[SEP]"],
        },
        projection_dim=16,
    )
    model = BlipForConditionalGeneration(config).eval()
    processor = BlipProcessor(
        image_processor=BlipImageProcessor(size={"height": image_size, "width": image_size}), tokenizer=tokenizer
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


#: the evaluation of a run on 4 samples, per task (cheap metrics)
EVALUATION = {
    "text-to-image": 'samples = 4\nreference_samples = 4\nmetrics = ["fd"]\n',
    "image-to-text": 'samples = 4\nmetrics = ["bleu"]\n',
}


def run_model(tmp_path: Path, model: str, task: str) -> tuple[int, str]:
    """`xmbench run` of one [[models]] table named "tiny" (its lines `model`) on 4 shapes samples in two
    chunks: (exit code, config path); results in tmp_path / "out"."""
    from xmbench.cli import main

    config = tmp_path / "run.toml"
    config.write_text(
        f'[evaluation]\ntask = "{task}"\n{EVALUATION[task]}bootstrap = 0\nchunk = 2\ndevice = "cpu"\n\n'
        f'[[models]]\nname = "tiny"\n{model}'
    )
    return main(["run", str(config), "--out", str(tmp_path / "out"), "--quiet"]), str(config)


def save_tiny_vit_gpt2(folder: Path, image_size: int = 16) -> Path:
    """A vision-encoder-decoder captioner (ViT encoder, GPT-2 decoder) with random weights in `folder`: its
    processor is an image processor alone, its tokenizer a byte-level BPE beside it."""
    from transformers import (
        GPT2Config,
        GPT2Tokenizer,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
    )

    chars = _byte_characters()
    vocab = {t: i for i, t in enumerate([*chars, "<|endoftext|>"])}
    tokenizer = GPT2Tokenizer(vocab=vocab, merges=[])
    end = vocab["<|endoftext|>"]
    torch.manual_seed(0)
    encoder = ViTConfig(
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        image_size=image_size,
        patch_size=8,
    )
    decoder = GPT2Config(
        vocab_size=len(vocab), n_positions=32, n_embd=16, n_layer=1, n_head=2, bos_token_id=end, eos_token_id=end
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = config.pad_token_id = config.eos_token_id = end
    VisionEncoderDecoderModel(config=config).save_pretrained(folder)
    ViTImageProcessor(size={"height": image_size, "width": image_size}).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
