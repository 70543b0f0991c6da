"""The one model-card writer: every bundle's MODEL_CARD.md has the same shape.

A card is a title, a summary paragraph, named sections (model, data, results next to the
baseline of the same run, limits, ...) and the exact command(s) that produced the bundle, which
every card must name. Each task fills a ModelCard with its own sections; rendering, tables,
percentages and writing the file are done here once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlcore.bundle import CARD


def pct(value: float) -> str:
    """0.9234 -> '92.3%'."""
    return f"{100 * value:.1f}%"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """A markdown table (lines): the header, its rule, one line per row."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"table row {list(row)} has {len(row)} cells, the header "
                             f"{len(header)}")
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return lines


@dataclass
class ModelCard:
    title: str
    summary: str = ""
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # in order; later ones resume the first

    def add(self, heading: str, *body: str | Iterable[str]) -> ModelCard:
        """Append a section; each body item is a paragraph or a list of lines (a table)."""
        lines: list[str] = []
        for part in body:
            if isinstance(part, str):
                if part.strip():
                    lines += [part.strip(), ""]
            else:
                lines += [*part, ""]
        if lines:
            self.sections.append((heading, lines[:-1]))
        return self

    def render(self) -> str:
        """The markdown text; refused without a command (a card says how it was made)."""
        if not [c for c in self.commands if c.strip()]:
            raise ValueError(f"the card of {self.title!r} names no command that produced it")
        out = [f"# {self.title}", ""]
        if self.summary.strip():
            out += [self.summary.strip(), ""]
        for heading, lines in self.sections:
            out += [f"## {heading}", "", *lines, ""]
        intro = ("Run from the repository root (in this order; later runs resume the first):"
                 if len(self.commands) > 1 else "Run from the repository root:")
        out += ["## Command", "", intro, "", *(f"    {c}" for c in self.commands)]
        return "\n".join(out) + "\n"


def write_card(bundle_dir: str | Path, card: ModelCard | str) -> Path:
    """(Re)write a bundle's MODEL_CARD.md atomically (temporary file, then rename)."""
    path = Path(bundle_dir) / CARD
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(card.render() if isinstance(card, ModelCard) else card.rstrip() + "\n")
    os.replace(tmp, path)
    return path
