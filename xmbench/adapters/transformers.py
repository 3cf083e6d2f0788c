"""The `transformers = "ID-or-PATH"` model kind (image -> text): a transformers image-to-text model as a Captioner.

`AutoProcessor` and `AutoModelForImageTextToText` (`AutoModelForVision2Seq` in transformers versions
without it) load the model from a local folder or a hub id (see `xmbench.adapters.hub`); options:
num_beams, max_new_tokens, do_sample (unset: the model's generation defaults), prompt (BLIP-style
conditional captioning: the prompt is given with each image and removed from the start of its caption),
dtype, revision, batch_size. Greedy and beam search are batched; with do_sample = true each image is
captioned alone with the random generator seeded from (seed, image index), so batch size and sharding
never change a caption.
"""

from __future__ import annotations

from typing import Any

import torch

from xmbench.adapters.hub import DTYPES, ModelFiles, batches, check_options, locate, offline, prepared, require
from xmbench.errors import InputError
from xmbench.runner.config import ModelSpec
from xmbench.runner.models import ModelContext, PreparedModel
from xmbench.seeding import derive_seed

#: options and their types
OPTIONS: dict[str, type | tuple[type, ...]] = {
    "num_beams": int,
    "max_new_tokens": int,
    "do_sample": bool,
    "prompt": str,
    "dtype": str,
    "revision": str,
    "batch_size": int,
}
#: what an unset option means (None: the model's own default)
DEFAULTS: dict[str, Any] = {**dict.fromkeys(OPTIONS), "dtype": "float32", "batch_size": 8}
#: options given to `generate`
_GENERATE = ("num_beams", "max_new_tokens", "do_sample")


def check(ctx: ModelContext, spec: ModelSpec) -> None:
    """Before any work (the kind table checks the task): the package, the options and the model's files."""
    require("transformers", "transformers")
    check_options(spec.options, OPTIONS, "transformers")
    locate(spec.source, spec.options.get("revision"), "config.json")


def prepare(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    """The model keyed by its files, options and transformers version; loaded on first need."""
    from xmbench.captioner import CheckedCaptioner

    options = {**DEFAULTS, **spec.options}
    files = locate(spec.source, options["revision"], "config.json")

    def load() -> CheckedCaptioner:
        return CheckedCaptioner(TransformersCaptioner(files, ctx.device, **options), f"model {spec.name!r}")

    return prepared(spec, "transformers", files, options, load)


def without_prompt(caption: str, prompt: str | None) -> str:
    """`caption` less the conditional prompt it starts with (compared case-insensitively).

    Example:
        >>> without_prompt("A picture of a red circle", "a picture of"), without_prompt(" a cat ", None)
        ('a red circle', 'a cat')
    """
    caption = caption.strip()
    if prompt and caption.lower().startswith(prompt.strip().lower()):
        return caption[len(prompt.strip()) :].strip()
    return caption


class TransformersCaptioner:
    """A transformers image-to-text model under the Captioner contract: `caption(images, seed)` -> list[str].

    Args:
        files: the model's folder or hub id and commit (`xmbench.adapters.hub.locate`).
        device: where the model runs.
        **options: the kind's options (OPTIONS); unset ones are None.

    Example:
        >>> from xmbench.adapters.hub import locate
        >>> blip = TransformersCaptioner(locate("Salesforce/blip-image-captioning-base", None, "config.json"),
        ...                              num_beams=3)  # doctest: +SKIP
        >>> blip.caption(torch.zeros(1, 3, 64, 64, dtype=torch.uint8), seed=0)  # doctest: +SKIP
        ['a black background']
    """

    def __init__(self, files: ModelFiles, device: torch.device | str = "cpu", **options: Any) -> None:
        import transformers
        from packaging.version import Version

        options = {**DEFAULTS, **options}
        auto = getattr(transformers, "AutoModelForImageTextToText", None) or transformers.AutoModelForVision2Seq
        dtype_arg = "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"
        where = {"revision": files.commit, "local_files_only": offline()}
        processor = transformers.AutoProcessor.from_pretrained(files.load_from, **where)
        if hasattr(processor, "image_processor"):  # one processor of images and text (BLIP, GIT, ...)
            self.processor, self.tokenizer = processor, processor.tokenizer
        elif options["prompt"]:
            raise InputError("option prompt needs a processor of images and text (BLIP-style); remove it")
        else:  # an image processor and a tokenizer side by side (vision-encoder-decoder)
            self.processor = transformers.AutoImageProcessor.from_pretrained(files.load_from, **where)
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(files.load_from, **where)
        model = auto.from_pretrained(files.load_from, **where, **{dtype_arg: DTYPES[options["dtype"]]})
        self.model, self.device, self.dtype = model.to(device).eval(), torch.device(device), DTYPES[options["dtype"]]
        self.prompt, self.batch_size = options["prompt"], options["batch_size"]
        self.generate_options = {k: options[k] for k in _GENERATE if options[k] is not None}

    def caption(self, images: torch.Tensor, seed: int) -> list[str]:
        """One caption per uint8 (N,3,H,W) image; sampling seeds image i's tokens from (seed, i)."""
        if self.generate_options.get("do_sample"):
            return [
                c for i in range(len(images)) for c in self._sampled(images[i : i + 1], derive_seed(seed, "sample", i))
            ]
        return [c for r in batches(len(images), self.batch_size) for c in self._generate(images[r.start : r.stop])]

    def _sampled(self, image: torch.Tensor, seed: int) -> list[str]:
        devices = [torch.cuda.current_device()] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):  # the caller's random state is left as it was
            torch.manual_seed(seed)
            return self._generate(image)

    def _generate(self, images: torch.Tensor) -> list[str]:
        text = {"text": [self.prompt] * len(images)} if self.prompt else {}
        inputs = self.processor(images=list(images.cpu()), return_tensors="pt", **text)
        inputs = {
            k: v.to(self.device, self.dtype) if v.is_floating_point() else v.to(self.device) for k, v in inputs.items()
        }
        out = self.model.generate(**inputs, **self.generate_options)
        return [without_prompt(c, self.prompt) for c in self.tokenizer.batch_decode(out, skip_special_tokens=True)]
