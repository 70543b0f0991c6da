"""Signs added without retraining: a vocabulary of reference embeddings, nearest class mean.

    vocab = enroll_runs(model, cfg, runs, shots=5)        # K reference clips per sign
    vocab.save("var/vocab")                                 # vocabulary.json + embeddings.npz
    predictor = EnrolledPredictor.from_paths(bundle, "var/vocab")
    predictor.predict_clip(seq, top_k=3)   # [{"gloss": "hello", "prob": 0.91}, ...] or "<unknown>"

A query is scored by cosine similarity to each sign's mean reference embedding; below the
vocabulary's threshold it is the unknown sign. The threshold is set from the references alone:
the lowest leave-one-out similarity of a reference to its own sign's mean, less a margin, so a
clip as far from every sign as no reference is from its own is refused.

`few_shot_accuracy` is the N-way K-shot measurement: references are drawn from people other
than the query's (never the same person), repeated over seeded draws.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from landmarks.hands import as_trained
from recognition.ml.data import Run

UNKNOWN = "<unknown>"
MARGIN = 0.05  # cosine similarity below the loosest reference that still counts as the sign
SOFTMAX_SCALE = 10.0  # similarity -> "prob" for top-k lists (a display score, not calibrated)


@dataclass
class Vocabulary:
    """Reference embeddings (N, D) with their glosses, class means (C, D) and the threshold."""

    glosses: list[str]
    references: np.ndarray
    reference_labels: list[str]
    threshold: float
    clips: list[dict[str, str]]  # id, participant, label of each reference (traceability)
    model: str = ""

    @property
    def means(self) -> np.ndarray:
        return class_means(self.references, self.reference_labels, self.glosses)

    @classmethod
    def empty(cls, dim: int, model: str = "") -> Vocabulary:
        """No sign enrolled yet: every query is the unknown sign."""
        return cls([], np.zeros((0, dim), np.float32), [], 1.0, [], model)

    def save(self, out: str | Path) -> Path:
        root = Path(out)
        root.mkdir(parents=True, exist_ok=True)
        np.savez(root / "embeddings.npz", references=self.references, means=self.means)
        meta = {"glosses": self.glosses, "threshold": self.threshold, "model": self.model,
                "shots": {g: self.reference_labels.count(g) for g in self.glosses},
                "participants": sorted({c["participant"] for c in self.clips}),
                "clips": self.clips}
        (root / "vocabulary.json").write_text(json.dumps(meta, indent=2) + "\n")
        return root

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        root = Path(path)
        meta = json.loads((root / "vocabulary.json").read_text())
        refs = np.load(root / "embeddings.npz")["references"]
        labels = [c["label"] for c in meta["clips"]]
        return cls(meta["glosses"], refs, labels, float(meta["threshold"]), meta["clips"],
                   meta.get("model", ""))


def class_means(emb: np.ndarray, labels: list[str], glosses: list[str]) -> np.ndarray:
    """(C, D) L2-normalised mean embedding of each gloss."""
    if not glosses:
        return np.zeros((0, emb.shape[1]), np.float32)
    lab = np.asarray(labels)
    means = np.stack([emb[lab == g].mean(axis=0) for g in glosses])
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-8)


def loo_threshold(emb: np.ndarray, labels: list[str], margin: float = MARGIN) -> float:
    """Lowest similarity of a reference to its own sign's mean without itself, less margin
    (a sign with a single reference uses its similarity to itself, 1.0)."""
    lab = np.asarray(labels)
    sims = []
    for i, row in enumerate(emb):
        others = emb[(lab == lab[i]) & (np.arange(len(lab)) != i)]
        if len(others):
            mean = others.mean(axis=0)
            sims.append(float(row @ mean / max(np.linalg.norm(mean), 1e-8)))
    return round(min(sims, default=1.0) - margin, 4)


def nearest_mean(queries: np.ndarray, means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarities (N, C) of L2-normalised queries to the means, and the argmax (N,)."""
    sims = queries @ means.T
    return sims, np.argmax(sims, axis=1)


def choose_references(runs: list[Run], shots: int, seed: int = 0,
                      exclude: set[str] | None = None) -> list[Run]:
    """shots runs per label, spread over as many participants as possible (seeded)."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, dict[str, list[Run]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        if run.participant not in (exclude or set()):
            by_label[run.label][run.participant].append(run)
    chosen = []
    for label in sorted(by_label):
        people = {p: list(rng.permutation(len(rs))) for p, rs in sorted(by_label[label].items())}
        order = list(rng.permutation(sorted(people)))
        picked: list[Run] = []
        while len(picked) < shots and any(people.values()):
            for person in order:  # round robin: one clip from each person in turn
                if people[person] and len(picked) < shots:
                    picked.append(by_label[label][person][int(people[person].pop())])
        chosen += picked
    return chosen


def build_vocabulary(emb: np.ndarray, runs: list[Run], model: str = "") -> Vocabulary:
    """A vocabulary from reference runs and their embeddings (same order)."""
    clips = [{"id": r.ids[0], "participant": r.participant, "label": r.label} for r in runs]
    return vocabulary_from(emb, clips, model)


def vocabulary_from(emb: np.ndarray, clips: list[dict[str, str]], model: str = "") -> Vocabulary:
    """A vocabulary from reference embeddings (N, D) and their clips ({"id", "participant",
    "label"}, same order): class means and the leave-one-out unknown threshold."""
    labels = [c["label"] for c in clips]
    return Vocabulary(sorted(set(labels)), emb.astype(np.float32), labels,
                      loo_threshold(emb, labels), clips, model)


def extend_with_enrolled(classified: dict[str, Any] | None, enrolled: dict[str, Any],
                         model: str) -> dict[str, Any]:
    """One recognition result from a classifier's segments and an enrolled vocabulary's.

    Enrolled signs extend the classifier's label set. An enrolled segment is a span whose
    windows clear the vocabulary's unknown threshold, which is set from the sign's own
    references; the classifier cannot name that sign and would force one of its own labels
    onto it, so an enrolled segment replaces every classifier segment it overlaps by at least
    half of the shorter one's length. Elsewhere the classifier's segments stand. Each segment
    says where it came from ("source": "classifier" or "enrolled"); result["enrolled"] names
    the embedding version and the signs it knew."""
    mine = [{**s, "source": "enrolled"} for s in enrolled["segments"]]

    def overlapped(seg: dict[str, Any]) -> bool:
        for other in mine:
            shared = min(seg["end"], other["end"]) - max(seg["start"], other["start"])
            shorter = min(seg["end"] - seg["start"], other["end"] - other["start"])
            if shared > 0 and 2 * shared >= shorter:
                return True
        return False

    kept = [{**s, "source": "classifier"} for s in (classified or {}).get("segments", [])
            if not overlapped(s)]
    result = {**(classified or {"model": model}),
              "segments": sorted(kept + mine, key=lambda s: (s["start"], s["end"]))}
    result["enrolled"] = {"model": model, "signs": enrolled.get("signs", []),
                          "found": len(mine)}
    return result


def scores_to_topk(sims: np.ndarray, glosses: list[str], threshold: float,
                   top_k: int) -> list[dict[str, Any]]:
    """One query's similarities (C,) -> top-k [{"gloss", "prob", "similarity"}]; the unknown
    sign first when even the best similarity is below the threshold."""
    probs = np.exp(SOFTMAX_SCALE * (sims - sims.max()))
    probs /= probs.sum()
    order = np.argsort(-np.round(sims.astype(np.float64), 4), kind="stable")[: max(1, top_k)]
    out = [{"gloss": glosses[i], "prob": round(float(probs[i]), 4),
            "similarity": round(float(sims[i]), 4)} for i in order]
    if sims.max() < threshold:
        out = [{"gloss": UNKNOWN, "prob": 1.0, "similarity": round(float(sims.max()), 4)},
               *out[: max(0, top_k - 1)]]
    return out


def few_shot_accuracy(emb: np.ndarray, runs: list[Run], queries: set[str], pool: set[str],
                      glosses: list[str], shots: int, repeats: int = 20,
                      seed: int = 0) -> dict[str, Any]:
    """N-way K-shot top-1 by class mean: for each query person and draw, K references per gloss
    from pool people other than that person; every clip of the query person is classified.
    emb: (len(runs), D) vectors compared by cosine (rows L2-normalised here)."""
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-8)
    rng = np.random.default_rng(seed)
    hits: dict[str, list[bool]] = defaultdict(list)
    for person in sorted(queries):
        q = [i for i, r in enumerate(runs) if r.participant == person and r.label in glosses]
        refs = {g: [i for i, r in enumerate(runs) if r.label == g and r.participant in pool
                    and r.participant != person] for g in glosses}
        if not q or any(len(v) < shots for v in refs.values()):
            continue
        for _ in range(repeats):
            picks = {g: rng.choice(v, size=shots, replace=False) for g, v in refs.items()}
            means = np.stack([emb[picks[g]].mean(axis=0) for g in glosses])
            _, best = nearest_mean(emb[q], means)
            for i, b in zip(q, best, strict=True):
                hits[runs[i].label].append(glosses[b] == runs[i].label)
    every = [h for v in hits.values() for h in v]
    return {"top1": round(float(np.mean(every)), 4) if every else 0.0, "n": len(every),
            "per_class": {g: round(float(np.mean(v)), 4) for g, v in sorted(hits.items())},
            "shots": shots, "ways": len(glosses), "repeats": repeats}


class EnrolledPredictor:
    """IsolatedPredictor's interface (predict_clip, recognize) over an enrolled vocabulary."""

    def __init__(self, model: Any, config: Any, vocabulary: Vocabulary, name: str,
                 device: str = "cpu") -> None:
        self.model, self.config, self.vocab = model, config, vocabulary
        self.vocabulary = vocabulary.glosses
        self.name, self.device = name, device
        self.means = vocabulary.means

    @classmethod
    def from_paths(cls, bundle: str | Path, vocabulary: str | Path,
                   device: str = "cpu") -> EnrolledPredictor:
        from recognition.ml.embedding import load_embedder

        model, config, _ = load_embedder(bundle, device)
        return cls(model, config, Vocabulary.load(vocabulary), config.name, device)

    @classmethod
    def from_bundle(cls, path: str | Path, device: str = "cpu") -> EnrolledPredictor:
        """The embedding bundle alone (nothing enrolled), loaded once per process like the
        other predictors (mlcore.predictors); `with_vocabulary` adds a language's signs."""
        from mlcore.predictors import PREDICTORS

        return PREDICTORS.get(path, device, cls._load)

    @classmethod
    def _load(cls, root: Path, device: str) -> EnrolledPredictor:
        from recognition.ml.embedding import load_embedder

        model, config, _ = load_embedder(root, device)
        return cls(model, config, Vocabulary.empty(config.model.num_classes, config.name),
                   config.name, device)

    def with_vocabulary(self, vocabulary: Vocabulary) -> EnrolledPredictor:
        """The same loaded model over another vocabulary (no copy of the weights)."""
        return EnrolledPredictor(self.model, self.config, vocabulary, self.name, self.device)

    def embed(self, points: np.ndarray) -> np.ndarray:
        """(D,) embedding of one clip's points (T, 543, 3), hand-less ends trimmed."""
        from recognition.ml.embedding import embed_features
        from recognition.ml.participants import trim_handless

        return embed_features(self.model, [self._features(trim_handless(points))],
                              self.device)[0]

    def similarities(self, clips: list[np.ndarray]) -> np.ndarray:
        """(N, C) cosine similarities of feature clips to the class means."""
        from recognition.ml.embedding import embed_features

        return embed_features(self.model, clips, self.device) @ self.means.T

    def _features(self, points: np.ndarray) -> np.ndarray:
        from recognition.ml.augment import resample_time
        from recognition.ml.features import build_features

        if len(points) > self.config.model.max_frames:
            points = resample_time(points, len(points) / self.config.model.max_frames)
        return build_features(points, self.config.features)

    def predict_clip(self, seq: Any, top_k: int = 5) -> list[dict[str, Any]]:
        """Top-k glosses of a whole clip, the unknown sign first below the threshold."""
        if len(seq) == 0:
            raise ValueError("empty landmark sequence")
        from recognition.ml.participants import trim_handless

        seq = as_trained(seq, self.config.features.hand_recovery)
        sims = self.similarities([self._features(trim_handless(seq.points))])[0]
        return scores_to_topk(sims, self.vocabulary, self.vocab.threshold, top_k)

    def recognize(self, seq: Any, top_k: int = 5,
                  on_progress: Any = None) -> dict[str, Any]:
        """Sliding-window spotting like IsolatedPredictor.recognize: windows below the
        threshold or without an active hand are no sign; segments by spotting.decode."""
        from recognition.ml.features import build_features
        from recognition.ml.spotting import decode, ownership_bounds, signing_mask, window_starts

        spot = self.config.spotting
        seq = as_trained(seq, self.config.features.hand_recovery)
        if len(seq) == 0 or not self.vocabulary:
            return {"model": self.name, "segments": []}
        starts = window_starts(len(seq), spot.window, spot.stride)
        feats = build_features(seq.points, self.config.features)
        sims = self.similarities([feats[s : s + spot.window] for s in starts])  # (W, C)
        if on_progress is not None:
            on_progress(100)
        active = signing_mask(seq.points, spot.rest_margin)
        busy = np.array([2 * int(active[s : s + spot.window].sum()) >= 2 * spot.min_active
                         * len(active[s : s + spot.window]) for s in starts])
        busy &= sims.max(axis=1) >= self.vocab.threshold
        probs = np.exp(SOFTMAX_SCALE * (sims - sims.max(axis=1, keepdims=True)))
        probs /= probs.sum(axis=1, keepdims=True)
        bounds = ownership_bounds(starts, spot.window, len(seq))
        times = np.append(seq.timestamps, seq.duration)[bounds]
        segments = []
        for seg in decode(probs, busy, self.vocabulary, spot, times):
            mean = sims[seg.first : seg.last + 1].mean(axis=0)
            segments.append({"start": round(float(times[seg.first]), 3),
                             "end": round(float(times[seg.last + 1]), 3),
                             "topk": scores_to_topk(mean, self.vocabulary, -1.0, top_k)})
        return {"model": self.name, "segments": segments}


def clip_key(points: np.ndarray, model_id: str) -> str:
    """Cache key of one reference clip under one embedding model: sha256 of both."""
    import hashlib

    digest = hashlib.sha256(model_id.encode())
    digest.update(np.ascontiguousarray(points, dtype=np.float32).tobytes())
    digest.update(str(points.shape).encode())
    return digest.hexdigest()


def embed_references(predictor: EnrolledPredictor | Any, clips: list[tuple[str, Any]],
                     cache_dir: str | Path, model_id: str) -> Vocabulary:
    """A vocabulary from (gloss, LandmarkSequence) reference clips, each clip embedded once:
    its vector is stored under cache_dir/<clip_key>.npy and reused while the clip and the
    model (model_id, e.g. the bundle's weights hash) are unchanged. `predictor` needs the
    EnrolledPredictor's model/config (a vocabulary-less one is fine)."""
    from recognition.ml.participants import trim_handless

    root = Path(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    vectors, runs = [], []
    for k, (gloss, seq) in enumerate(clips):
        points = trim_handless(seq.points)
        path = root / f"{clip_key(points, model_id)}.npy"
        if not path.is_file():
            vec = predictor.embed(points)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vec)
            tmp.replace(path)  # atomic: a concurrent worker never reads half a file
        vectors.append(np.load(path))
        runs.append(Run(points[:1], gloss, (f"reference-{k}:{path.stem[:12]}",)))
    return build_vocabulary(np.stack(vectors), runs, model=model_id)
