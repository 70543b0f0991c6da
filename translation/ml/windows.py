"""Reading long landmark inputs in overlapping windows (the fingerspelling speller's reader).

The translator is trained on phrases of a few words; a clip of many words is longer than
anything it saw, and attention over it degrades (a 14 s clip of six words came out as "hocal").
So the encoder reads fixed-size windows that overlap, each window's CTC head gives letter
emissions with their frame times (best path: argmax per frame, repeats merged, blanks dropped),
and neighbouring windows' emissions are merged in their overlap:

- emissions of the two windows inside the overlap are aligned (longest common subsequence of
  equal labels at most `tolerance` frames apart): an aligned pair is one letter, kept once
  (unless both readings lie far into the other window's half: edge artefacts of both windows);
- a letter only one window saw is kept when it lies in that window's inner half of the overlap
  (a window is least reliable at its own edges, where a letter may be cut in two).

No letter is lost or doubled at a window edge as long as each window reads the middle of the
overlap as the other one does (tests/ml/translation/test_windows.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch

from translation.ml.model import Translator
from translation.ml.tokenizer import GlossVocab

# The bundle's config.json "reader" (written by translation/ml/fingerspell.py; the shipped
# bundle's window was chosen on dev phrases by bench/bench_fingerspelling.py). At 30 fps a
# window is about 2 s: the speller reads short stretches best (measured on dev, see its card).
DEFAULT_READER: Mapping[str, Any] = {"kind": "ctc-windows", "window": 64, "overlap": 24,
                                     "tolerance": 12}
WORD_GAP = "_"  # translation.ml.fingerspell.WORD_GAP (a visible pause between words)


class Emission(NamedTuple):
    """One letter read by the CTC head: label id, frame index in the clip, its log-probability."""

    label: int
    frame: int
    logprob: float


@dataclass
class Reading:
    """What the reader made of a clip: the emissions in order, their labels and the text."""

    emissions: list[Emission]
    labels: list[str]
    text: str


def window_spans(length: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """[start, end) frame spans of `window` frames, `overlap` shared by neighbours, covering
    `length` frames; the last span ends at `length` (so it may overlap its neighbour more)."""
    if window <= overlap:
        raise ValueError(f"window ({window}) must be longer than the overlap ({overlap})")
    if length <= window:
        return [(0, length)]
    step = window - overlap
    starts = list(range(0, length - window, step)) + [length - window]
    return [(s, s + window) for s in starts]


def emissions_of(log_probs: np.ndarray, offset: int = 0) -> list[Emission]:
    """Best-path CTC emissions of (T, V) log-probabilities (blank = 0), frames + `offset`."""
    best = log_probs.argmax(axis=1)
    out, prev = [], 0
    for t, label in enumerate(best.tolist()):
        if label != 0 and label != prev:
            out.append(Emission(label, t + offset, float(log_probs[t, label])))
        prev = label
    return out


def _align(a: Sequence[Emission], b: Sequence[Emission], tolerance: int,
           allowed: Callable[[Emission, Emission], bool]) -> list[tuple[int, int]]:
    """Index pairs of the best common subsequence of a and b: same label, at most `tolerance`
    frames apart, `allowed`; most pairs first, then the closest in time."""
    n, m = len(a), len(b)

    def gain(i: int, j: int) -> float:
        gap = abs(a[i].frame - b[j].frame)
        if a[i].label != b[j].label or gap > tolerance or not allowed(a[i], b[j]):
            return 0.0
        return 1.0 + 0.5 * (1.0 - gap / (tolerance + 1))

    best = np.zeros((n + 1, m + 1))
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            g = gain(i, j)
            best[i, j] = max(best[i + 1, j], best[i, j + 1], best[i + 1, j + 1] + g if g else 0)
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        g = gain(i, j)
        if g and best[i, j] == best[i + 1, j + 1] + g:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1, j] >= best[i, j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def merge_emissions(a: Sequence[Emission], b: Sequence[Emission], lo: int, hi: int,
                    tolerance: int) -> list[Emission]:
    """Emissions of two neighbouring windows (a ends at `hi`, b starts at `lo` < hi) as one."""
    mid, quarter = (lo + hi) / 2, (hi - lo) / 4
    # Aligned a little beyond the overlap: a letter one window reads just inside it, the
    # other may read just outside.
    a_before = [e for e in a if e.frame < lo - tolerance]
    a_in = [e for e in a if e.frame >= lo - tolerance]
    b_in = [e for e in b if e.frame < hi + tolerance]
    b_after = [e for e in b if e.frame >= hi + tolerance]
    merged: list[Emission] = []
    i = j = 0
    def allowed(ea: Emission, eb: Emission) -> bool:
        # Not both far into the other window's half: spurious letters at both windows' edges
        # could pair up there and crowd out real pairs (a real letter straddles the middle).
        return ea.frame < mid + quarter or eb.frame >= mid - quarter

    for pi, pj in [*_align(a_in, b_in, tolerance, allowed), (len(a_in), len(b_in))]:
        # Letters one window saw alone: each window is trusted on its own side of the middle.
        merged += [e for e in a_in[i:pi] if e.frame < mid]
        merged += [e for e in b_in[j:pj] if e.frame >= mid]
        if pi < len(a_in):
            ea, eb = a_in[pi], b_in[pj]
            merged.append(ea if (ea.frame + eb.frame) / 2 < mid else eb)
        i, j = pi + 1, pj + 1
    merged.sort(key=lambda e: e.frame)
    return a_before + merged + b_after


def read_windows(windows_log_probs: Sequence[np.ndarray], spans: Sequence[tuple[int, int]],
                 tolerance: int) -> list[Emission]:
    """Merge the emissions of every window (log-probs (T_w, V) of span [s, e)) into one list."""
    out: list[Emission] = []
    prev_end = 0
    for k, (lp, (start, end)) in enumerate(zip(windows_log_probs, spans, strict=True)):
        current = emissions_of(lp, start)
        out = current if k == 0 else merge_emissions(out, current, start, prev_end, tolerance)
        prev_end = end
    return out


def labels_text(labels: Sequence[str]) -> str:
    """Letters -> lower-case text, word gaps -> single spaces."""
    text = "".join(" " if g == WORD_GAP else g.lower() for g in labels)
    return " ".join(text.split())


def window_log_probs(model: Translator, feats: np.ndarray, spans: Sequence[tuple[int, int]],
                     device: str = "cpu") -> list[np.ndarray]:
    """CTC log-probabilities (T_w, V) of each window, all windows encoded in one batch."""
    width = max(e - s for s, e in spans)
    src = torch.zeros((len(spans), width, feats.shape[1]), dtype=torch.float32)
    mask = torch.zeros((len(spans), width), dtype=torch.bool)
    for k, (s, e) in enumerate(spans):
        src[k, : e - s] = torch.from_numpy(np.ascontiguousarray(feats[s:e]))
        mask[k, : e - s] = True
    with torch.no_grad():
        lp = model.ctc_log_probs(model.encode(src.to(device), mask.to(device)))
    if lp is None:
        raise ValueError("the windowed reader needs a bundle with a CTC head")
    lp_np = lp.float().cpu().numpy()
    return [lp_np[k, : e - s] for k, (s, e) in enumerate(spans)]


def upsample(feats: np.ndarray, factor: int) -> np.ndarray:
    """(T, F) hands-v1 features at `factor` times the frame rate: between two frames that both
    show a hand (translation.ml.features presence flags, the last two columns) the features are
    interpolated linearly, elsewhere the earlier frame is repeated. Frame t -> t * factor."""
    if factor <= 1 or len(feats) < 2:
        return np.repeat(feats, max(1, factor), axis=0)
    out = np.repeat(feats, factor, axis=0)
    a, b = feats[:-1], feats[1:]
    # Per hand block (63 values) where that hand is present in both frames.
    both = (a[:, -2:] > 0) & (b[:, -2:] > 0)  # (T-1, 2)
    half = (feats.shape[1] - 2) // 2
    for j in range(1, factor):
        w = j / factor
        mixed = a.copy()
        for h in range(2):
            rows = both[:, h]
            cols = slice(h * half, (h + 1) * half)
            mixed[rows, cols] = (1 - w) * a[rows, cols] + w * b[rows, cols]
        out[j : (len(feats) - 1) * factor : factor] = mixed
    return out


def read_letters(model: Translator, feats: np.ndarray, vocab: GlossVocab,
                 reader: Mapping[str, Any] = DEFAULT_READER, device: str = "cpu",
                 on_emission: Callable[[Emission, str], None] | None = None,
                 fps: float | None = None) -> Reading:
    """Read a clip's (T, F) features in overlapping windows: letters, word gaps, text.

    With the reader's "fps" (the rate the speller was trained at) and a clip at `fps` well
    below it (a job extracts at 15 fps), the features are first upsampled (`upsample`) by the
    nearest whole factor; emission frames are given in the clip's own frames."""
    if len(feats) == 0:
        return Reading([], [], "")
    factor = 1
    if reader.get("fps") and fps:
        factor = max(1, round(float(reader["fps"]) / fps))
    if factor > 1:
        feats = upsample(feats, factor)
    spans = window_spans(len(feats), int(reader["window"]), int(reader["overlap"]))
    emitted = read_windows(window_log_probs(model, feats, spans, device), spans,
                           int(reader.get("tolerance", DEFAULT_READER["tolerance"])))
    if factor > 1:
        emitted = [e._replace(frame=e.frame // factor) for e in emitted]
    labels = [vocab.itos[e.label] for e in emitted]
    if on_emission is not None:
        for e, g in zip(emitted, labels, strict=True):
            on_emission(e, g)
    return Reading(emitted, labels, labels_text(labels))
