"""What a result record says about where it was computed: versions, git revision, hardware."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

import xmbench

_PACKAGES = (
    "torch",
    "torchvision",
    "numpy",
    "scipy",
    "torchmetrics",
    "torch-fidelity",
    "open-clip-torch",
    "pandas",
    "matplotlib",
    "safetensors",
    "pillow",
)


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages results depend on (None when absent)."""
    out: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_revision() -> str | None:
    """The git commit of the xmbench source tree (with "-dirty" for local changes), or None."""
    src = Path(xmbench.__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{rev}-dirty" if dirty else rev


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware(device: torch.device) -> dict[str, Any]:
    """CPU model and cores, torch threads, and the accelerator when one is used."""
    out: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
    }
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
        out["cuda"] = torch.version.cuda
    return out


def environment(device: torch.device) -> dict[str, Any]:
    """The `environment` field of a result record."""
    return {
        "xmbench": xmbench.__version__,
        "python": sys.version.split()[0],
        "packages": package_versions(),
        "git_revision": git_revision(),
        "hardware": hardware(device),
    }


def resolve_device(name: str) -> torch.device:
    """ "auto" -> cuda when available, else cpu; other names as given, checked to exist on this machine.

    Raises InputError for a malformed name or a device that is not there (cuda:7 on a one-GPU machine).

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    from xmbench.errors import InputError

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (device.index or 0) >= count:
            there = f"this machine has {count} CUDA device{'s' if count != 1 else ''}"
            use = f"auto, cpu or cuda:0..{count - 1}" if count else "auto or cpu"
            raise InputError(f"device {name!r} is not available ({there}); use {use}")
    elif device.type not in ("cpu", "meta") and not _available(device):
        raise InputError(f"device {name!r} is not available on this machine; use auto or cpu")
    return device


def _available(device: torch.device) -> bool:
    backend = getattr(torch, device.type, None) or getattr(torch.backends, device.type, None)
    is_available = getattr(backend, "is_available", None)
    return bool(is_available()) if callable(is_available) else True
