"""The model kinds of outputs already on disk: `samples = "DIR"` (text -> image) and
`predictions = "FILE"` (image -> text), checked and prepared for `xmbench.runner.models.KINDS`.

Such a model is a generator or captioner whose `load()` serves the stored outputs by sample index
(`StoredGenerator.stored_images`, `StoredCaptioner.captions_for`), so the runner's one loop (chunks,
caches, sharding, metrics, records, leaderboard) scores them like any other model. Its identity
(`model_hash`) is the content hash of the files it serves, never their path: moving or renaming the
folder reuses every cache and record, changing one image re-scores it. The record's `model.outputs`
says where they came from (path, number of files, format).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xmbench.errors import InputError
from xmbench.filehash import sha256_file
from xmbench.runner.cache import content_key
from xmbench.runner.config import ModelSpec

if TYPE_CHECKING:
    from xmbench.runner.models import ModelContext, PreparedModel
    from xmbench.runner.sample_folder import SampleFolder


def _check_outputs_kind(ctx: ModelContext, spec: ModelSpec) -> None:
    if spec.options:
        raise InputError(f"{spec.kind} model {spec.name!r} takes no options; remove options")
    if ctx.config.robustness:
        raise InputError(
            f"{spec.kind} model {spec.name!r} holds outputs for the evaluation inputs only, which robustness "
            f"({', '.join(ctx.config.robustness)}) rewrites or perturbs; evaluate it in a run without robustness"
        )


def _folder(ctx: ModelContext, spec: ModelSpec) -> SampleFolder:
    from xmbench.runner.sample_folder import index_folder

    folder = index_folder(spec.source, ctx.suite.captions(ctx.split, range(ctx.config.samples)))
    folder.check_covers(ctx.config.samples, ctx.config.images_per_prompt)
    return folder


def check_samples(ctx: ModelContext, spec: ModelSpec) -> None:
    """Before any work: the run is text -> image and the folder has an image for every evaluation caption."""
    _check_outputs_kind(ctx, spec)
    _folder(ctx, spec)


def prepare_samples(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    """A samples folder as a generator, keyed by its images' sha256 (and the resize)."""
    from xmbench.runner.models import PreparedModel
    from xmbench.runner.sample_folder import USED, StoredGenerator

    folder, n = _folder(ctx, spec), ctx.config.samples
    digest = content_key("samples", folder.content_hash(n), folder.describe(n)["resize"], USED)
    resolution, described = ctx.suite.resolution, folder.describe(n, ctx.config.images_per_prompt)
    return PreparedModel(spec, digest, None, lambda: StoredGenerator(folder, resolution), info={"outputs": described})


def _captions(ctx: ModelContext, spec: ModelSpec) -> tuple[list[int], list[str], str]:
    from xmbench.runner.predictions_file import image_ids, read_predictions

    indices = ctx.suite.image_indices(ctx.split)[: ctx.config.samples]
    what, ids = image_ids(ctx.suite, ctx.split, indices)
    return indices, *read_predictions(spec.source, ids, what)


def check_predictions(ctx: ModelContext, spec: ModelSpec) -> None:
    """Before any work: the run is image -> text and the file captions every evaluation image."""
    _check_outputs_kind(ctx, spec)
    _captions(ctx, spec)


def prepare_predictions(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    """A predictions file as a captioner, keyed by the file's sha256."""
    from xmbench.runner.models import PreparedModel
    from xmbench.runner.predictions_file import StoredCaptioner

    indices, captions, fmt = _captions(ctx, spec)
    sha = sha256_file(spec.source)
    outputs = {"path": spec.source, "format": fmt, "files": 1, "sha256": sha}
    return PreparedModel(
        spec,
        content_key("predictions", sha),
        None,
        lambda: StoredCaptioner(indices, captions),
        info={"outputs": outputs},
    )


__all__ = ["check_predictions", "check_samples", "prepare_predictions", "prepare_samples"]
