"""The `diffusers = "ID-or-PATH"` model kind (text -> image): a diffusers pipeline as a Generator.

`DiffusionPipeline.from_pretrained` loads the pipeline from a local folder or a hub id (see
`xmbench.adapters.hub`); options: num_inference_steps, guidance_scale, negative_prompt, height, width
(passed to the pipeline; unset: its defaults), dtype, scheduler (a diffusers scheduler class name, built
from the pipeline's scheduler config), revision, variant, batch_size. Each sample's noise comes from its
own generator seeded from (seed, sample index), so batch size and sharding never change an image.
Images are converted to uint8 at the suite's resolution (bilinear, antialiased, when they differ).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from xmbench.adapters.hub import (
    DTYPES,
    ModelFiles,
    batches,
    check_options,
    locate,
    offline,
    prepared,
    require,
    sample_generators,
)
from xmbench.errors import unknown_name
from xmbench.runner.config import ModelSpec
from xmbench.runner.models import ModelContext, PreparedModel

#: options and their types
OPTIONS: dict[str, type | tuple[type, ...]] = {
    "num_inference_steps": int,
    "guidance_scale": (float, int),
    "negative_prompt": str,
    "height": int,
    "width": int,
    "dtype": str,
    "scheduler": str,
    "revision": str,
    "variant": str,
    "batch_size": int,
}
#: what an unset option means (None: the pipeline's own default)
DEFAULTS: dict[str, Any] = {**dict.fromkeys(OPTIONS), "dtype": "float32", "batch_size": 4}
#: how images are brought to the suite's resolution (recorded)
RESIZE = "bilinear, antialiased, to the suite's resolution when the pipeline's images differ"
#: options given to the pipeline's call (the others load it)
_CALL = ("num_inference_steps", "guidance_scale", "negative_prompt", "height", "width")


def check(ctx: ModelContext, spec: ModelSpec) -> None:
    """Before any work (the kind table checks the task): the package, the options, the scheduler's name
    and the model's files."""
    require("diffusers", "diffusers")
    check_options(spec.options, OPTIONS, "diffusers")
    if "scheduler" in spec.options:
        scheduler_class(spec.options["scheduler"])
    locate(spec.source, spec.options.get("revision"), "model_index.json")


def prepare(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    """The model keyed by its files, options, scheduler and diffusers version; loaded on first need."""
    from xmbench.generator import CheckedGenerator

    options = {**DEFAULTS, **spec.options}
    files = locate(spec.source, options["revision"], "model_index.json")
    resolution = ctx.suite.resolution

    def load() -> CheckedGenerator:
        made = DiffusersGenerator(files, resolution, ctx.device, **options)
        return CheckedGenerator(made, f"model {spec.name!r} ({spec.source})", resolution)

    scheduler = options["scheduler"] or _default_scheduler(files)
    return prepared(spec, "diffusers", files, options, load, scheduler=scheduler, resize=RESIZE)


def scheduler_class(name: str) -> type:
    """The diffusers scheduler class called `name` (one line naming close ones otherwise)."""
    import diffusers

    cls = getattr(diffusers, name, None) if name.endswith("Scheduler") else None
    if not (isinstance(cls, type) and issubclass(cls, diffusers.SchedulerMixin)):
        raise unknown_name("diffusers scheduler", name, [n for n in dir(diffusers) if n.endswith("Scheduler")])
    return cls


def _default_scheduler(files: ModelFiles) -> str | None:
    """The scheduler class the pipeline's model_index.json names."""
    if files.folder is not None:
        index = files.folder / "model_index.json"
    else:
        from huggingface_hub import hf_hub_download

        index = Path(
            hf_hub_download(files.source, "model_index.json", revision=files.commit, local_files_only=offline())
        )
    entry = json.loads(index.read_text(encoding="utf-8")).get("scheduler")
    return entry[1] if isinstance(entry, list) and len(entry) == 2 else None


def to_uint8(images: torch.Tensor, resolution: int | None) -> torch.Tensor:
    """Images in [0, 1] (N,3,h,w) as uint8, resized to resolution x resolution (bilinear, antialiased) when they differ.

    Example:
        >>> to_uint8(torch.ones(2, 3, 64, 64), 32).shape, to_uint8(torch.ones(1, 3, 8, 8), None).max().item()
        (torch.Size([2, 3, 32, 32]), 255)
    """
    images = images.float().cpu()
    if resolution is not None and tuple(images.shape[-2:]) != (resolution, resolution):
        images = F.interpolate(images, size=(resolution, resolution), mode="bilinear", antialias=True)
    return (images * 255).round().clamp(0, 255).to(torch.uint8)


class DiffusersGenerator:
    """A diffusers pipeline under the Generator contract: `generate(captions, seed)` -> uint8 (N,3,R,R).

    Args:
        files: the pipeline's folder or hub id and commit (`xmbench.adapters.hub.locate`).
        resolution: the suite's resolution R (None: the pipeline's size).
        device: where the pipeline runs (the noise is drawn on the CPU, so devices agree on it).
        **options: the kind's options (OPTIONS); unset ones are None.

    Example:
        >>> from xmbench.adapters.hub import locate
        >>> sd = DiffusersGenerator(locate("stabilityai/sd-turbo", None, "model_index.json"), 256,
        ...                         num_inference_steps=1, guidance_scale=0.0)  # doctest: +SKIP
        >>> sd.generate(["a red circle"], seed=0).shape  # doctest: +SKIP
        torch.Size([1, 3, 256, 256])
    """

    def __init__(
        self, files: ModelFiles, resolution: int | None, device: torch.device | str = "cpu", **options: Any
    ) -> None:
        import diffusers
        from packaging.version import Version

        options = {**DEFAULTS, **options}
        # `dtype` replaces `torch_dtype` (deprecated) in recent versions; 0.42 is the first known to take it
        dtype_arg = "dtype" if Version(diffusers.__version__) >= Version("0.42") else "torch_dtype"
        pipe = diffusers.DiffusionPipeline.from_pretrained(
            files.load_from,
            revision=files.commit,
            variant=options["variant"],
            local_files_only=offline(),
            **{dtype_arg: DTYPES[options["dtype"]]},
        )
        if options["scheduler"]:
            pipe.scheduler = scheduler_class(options["scheduler"]).from_config(pipe.scheduler.config)
        pipe.set_progress_bar_config(disable=True)
        self.pipe, self.resolution, self.batch_size = pipe.to(device), resolution, options["batch_size"]
        self.call = {k: options[k] for k in _CALL if options[k] is not None}

    def generate(self, captions: list[str], seed: int) -> torch.Tensor:
        """uint8 (N,3,R,R) images of `captions`; sample i's noise is seeded from (seed, i)."""
        parts = [
            self._batch(captions[r.start : r.stop], seed, r.start) for r in batches(len(captions), self.batch_size)
        ]
        return torch.cat(parts)

    def _batch(self, captions: list[str], seed: int, start: int) -> torch.Tensor:
        call = dict(self.call)
        if "negative_prompt" in call:  # one per caption: the pipelines pair them with the prompts
            call["negative_prompt"] = [call["negative_prompt"]] * len(captions)
        generators = sample_generators(seed, start, len(captions))
        images = self.pipe(prompt=list(captions), generator=generators, output_type="pt", **call).images
        return to_uint8(images, self.resolution)
