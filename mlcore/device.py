"""The one device chooser of training and inference."""

from __future__ import annotations


def choose_device(requested: str | None = "auto") -> str:
    """"auto" (or nothing): CUDA when this machine has it, else CPU; otherwise `requested`
    as given ("cpu", "cuda", "cuda:1"), refused when it names CUDA on a machine without it."""
    import torch

    name = (requested or "auto").strip().lower()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {requested!r} was asked for but this machine has no CUDA")
    if name != "cpu" and not name.startswith(("cuda", "mps")):
        raise ValueError(f"unknown device {requested!r}; expected auto, cpu or cuda[:N]")
    return name


def uses_amp(device: str) -> bool:
    """Mixed precision (float16 autocast + gradient scaling) is used on CUDA only."""
    return device.startswith("cuda")
