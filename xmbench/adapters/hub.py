"""What the Hugging Face model kinds share: the package check, options, where the model's files are
(a local folder or a hub id at a commit, found offline first), their content identity and per-sample seeds.

A model is named by a local folder (keyed by the sha256 of its files) or a hub id (keyed by the id and
the commit it resolves to). A hub id that is not in the local cache needs the hub: with HF_HUB_OFFLINE=1
or no network it is one line naming what to fetch, before any work.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from xmbench.errors import InputError, unknown_name
from xmbench.filehash import sha256_file
from xmbench.runner.cache import content_key
from xmbench.runner.config import ModelSpec
from xmbench.runner.models import PreparedModel
from xmbench.seeding import derive_seed

INSTALL = "pip install 'xmbench[hf]'"
#: the `dtype` option's values
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
#: seconds to wait for the hub when resolving an id that is not cached
HUB_TIMEOUT_S = 10.0
_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true/false"}


def require(package: str, kind: str) -> None:
    """One line when the package a model kind needs is not installed.

    Example:
        >>> require("json", "diffusers")
        >>> require("no_such_package", "diffusers")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: the diffusers model kind needs no_such_package, which is not installed: ...
    """
    if importlib.util.find_spec(package) is None:
        raise InputError(f"the {kind} model kind needs {package}, which is not installed: {INSTALL}")


def check_options(options: dict[str, Any], types: dict[str, type | tuple[type, ...]], kind: str) -> None:
    """Every option is known and of its type; integers are at least 1 and `dtype` is one of DTYPES.

    Example:
        >>> check_options({"num_beams": 3}, {"num_beams": int}, "transformers")
        >>> check_options({"num_beams": 0}, {"num_beams": int}, "transformers")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: option num_beams of a transformers model must be at least 1, not 0
    """
    for name, value in options.items():
        if name not in types:
            raise unknown_name(f"option of a {kind} model", name, types)
        expected = types[name] if isinstance(types[name], tuple) else (types[name],)
        if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
            names = " or ".join(_NAMES[t] for t in expected)
            raise InputError(f"option {name} of a {kind} model must be {names}, not {value!r}")
        if expected == (int,) and value < 1:
            raise InputError(f"option {name} of a {kind} model must be at least 1, not {value}")
    if "dtype" in options and options["dtype"] not in DTYPES:
        raise unknown_name(f"dtype of a {kind} model", options["dtype"], DTYPES)


def offline() -> bool:
    """HF_HUB_OFFLINE is set (1, true, yes, on): the hub is not asked.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"HF_HUB_OFFLINE": "1"}):
        ...     offline()
        True
    """
    return os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")


@dataclass(frozen=True)
class ModelFiles:
    """Where a model's files are: a local folder, or a hub id resolved to a commit."""

    source: str
    folder: Path | None
    commit: str | None

    @property
    def load_from(self) -> str:
        """What `from_pretrained` is given."""
        return str(self.folder) if self.folder is not None else self.source

    def identity(self) -> dict[str, Any]:
        """The record's description of the files: the hub id and commit, or the folder and its files' hash."""
        if self.folder is None:
            return {"id": self.source, "revision": self.commit}
        return {"local_path": str(self.folder.resolve()), "files_sha256": folder_hash(self.folder)}


def folder_hash(folder: Path) -> str:
    """sha256 of a folder's files (relative paths and contents; hidden files and folders left out).

    Example:
        >>> import tempfile; d = Path(tempfile.mkdtemp()); _ = (d / "config.json").write_text("{}")
        >>> folder_hash(d) == folder_hash(d) and len(folder_hash(d)) == 64
        True
    """
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(folder).parts)
    )
    return content_key([(p.relative_to(folder).as_posix(), sha256_file(p)) for p in files])


def locate(source: str, revision: str | None, marker: str) -> ModelFiles:
    """The model's files: a local folder, else a hub id in the local cache (`marker` is a file every such
    model has at its root), else the hub's commit for it; one line when none of them can be had.

    Example:
        >>> locate("./no/such/folder", None, "config.json")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: model folder ./no/such/folder does not exist; fix the path ...
    """
    folder = Path(source).expanduser()
    if folder.is_dir():
        return ModelFiles(source, folder, None)
    if source.startswith((".", "/", "~")) or source.count("/") > 1 or "\\" in source:
        raise InputError(
            f"model folder {source} does not exist; fix the path (relative paths start at the current folder) "
            "or name a Hugging Face id (org/name)"
        )
    return ModelFiles(source, None, _cached_commit(source, revision, marker) or _hub_commit(source, revision))


def _cached_commit(source: str, revision: str | None, marker: str) -> str | None:
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(source, marker, revision=revision)
    except ValueError as e:  # not a valid repository id
        raise InputError(f"{source!r} is neither a model folder nor a Hugging Face id: {e}") from None
    return Path(found).parent.name if isinstance(found, str) else None


def _hub_commit(source: str, revision: str | None) -> str:
    """The hub's commit of `source` at `revision` (one line when the hub cannot be asked or says no)."""
    pinned = f" --revision {revision}" if revision else ""
    fetch = (
        f"fetch it with `huggingface-cli download {source}{pinned}` where there is network, "
        f"or name a local folder (there is no folder {source} here)"
    )
    if offline():
        raise InputError(f"{source} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set: {fetch}")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        return HfApi().model_info(source, revision=revision, timeout=HUB_TIMEOUT_S).sha
    except RepositoryNotFoundError:
        raise InputError(f"no model {source!r} on the Hugging Face hub (a private one needs `hf auth login`)") from None
    except RevisionNotFoundError:
        raise InputError(f"model {source!r} has no revision {revision!r} on the Hugging Face hub") from None
    except Exception as e:  # no network: connection errors of whichever HTTP client the hub library uses
        raise InputError(
            f"{source} is not in the local Hugging Face cache and the hub is unreachable ({type(e).__name__}): {fetch}"
        ) from None


def sample_generators(seed: int, start: int, count: int) -> list[torch.Generator]:
    """One CPU generator per sample, seeded from (seed, sample index): batching never changes a sample.

    Example:
        >>> a = sample_generators(7, 0, 3)[2].initial_seed()
        >>> a == sample_generators(7, 2, 1)[0].initial_seed()
        True
    """
    return [torch.Generator("cpu").manual_seed(derive_seed(seed, "sample", i)) for i in range(start, start + count)]


def batches(n: int, batch_size: int) -> list[range]:
    """Index ranges of at most `batch_size` covering 0..n-1.

    Example:
        >>> batches(5, 2)
        [range(0, 2), range(2, 4), range(4, 5)]
    """
    return [range(s, min(n, s + batch_size)) for s in range(0, n, batch_size)]


def prepared(
    spec: ModelSpec, library: str, files: ModelFiles, options: dict[str, Any], load: Callable[[], Any], **info: Any
) -> PreparedModel:
    """A Hugging Face model for the runner, keyed by its files' identity, its options (all but batch_size,
    which never changes an output), `info` and the library's version; the record's `model.hf` says all."""
    version = importlib.metadata.version(library)
    identity = files.identity()
    keyed = {k: v for k, v in options.items() if k != "batch_size"}
    key = content_key(library, version, identity.get("files_sha256") or identity, keyed, info)
    record = {"library": library, "library_version": version, **identity, "options": options, **info}
    note = f"keyed by the model's files (a folder's sha256 or a hub commit), its options and the {library} version"
    return PreparedModel(spec, key, None, load, kind=library, info={"hf": record, "cache_note": note})
