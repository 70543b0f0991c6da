"""Errors of registry operations; their messages are written for the admin who reads them."""

from __future__ import annotations

from collections.abc import Iterable


class RegistryError(ValueError):
    """An operation was refused; `problems` lists every reason, each readable on its own."""

    def __init__(self, problems: Iterable[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class BundleRejected(RegistryError):
    """A bundle failed validation (files, config, vocabulary or the test forward pass)."""
