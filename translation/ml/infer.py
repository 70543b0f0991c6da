"""TranslationPredictor: a bundle loaded once per worker process, then many translations.

This is the narrow contract the web worker calls (`from_bundle`, `translate`, `translate_text`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from landmarks.hands import as_trained
from landmarks.sequence import LandmarkSequence
from translation.ml.config import DecodeConfig, TranslationBundleConfig
from translation.ml.data import Example, bucket_batches, collate
from translation.ml.decode import decode_batch
from translation.ml.evaluate import ctc_greedy_glosses
from translation.ml.glossnorm import gloss_normalizer
from translation.ml.features import FEATURE_SET, sequence_features
from translation.ml.ensemble import Ensemble, Seq2Seq, member_prefixes
from translation.ml.model import Translator, loaded_state
from translation.ml.rerank import NoisyChannel, load_channel, split_state
from translation.ml.tokenizer import GlossVocab, TextTokenizer

OnToken = Callable[[str, float], None]


def load_translator(bundle_path: str | Path, device: str = "cpu") -> tuple[Seq2Seq, Any]:
    """Read a translation bundle and build its model in eval mode: (model, Bundle); a bundle
    with `ensemble: N` in config.json gives an Ensemble of its N members. A reranker's reverse
    model (translation.ml.rerank) is left out: TranslationPredictor.from_bundle loads it."""
    model, bundle, _ = _load(bundle_path, device)
    return model, bundle


def _load(bundle_path: str | Path, device: str) -> tuple[Seq2Seq, Any, dict[str, torch.Tensor]]:
    """(model, Bundle, the reverse model's weights: empty without a reranker)."""
    from mlcore.bundle import TEXT_TASKS, BundleError, read_bundle

    bundle = read_bundle(bundle_path)
    if bundle.task not in TEXT_TASKS:
        raise BundleError(f"{bundle_path} is a {bundle.task!r} bundle, not a translation one")
    config = TranslationBundleConfig.from_dict(bundle.config)  # strict: unknown keys fail
    cfg, n = config.model, config.ensemble
    model: Seq2Seq = Translator(cfg) if n == 1 else Ensemble(cfg, n)
    if n > 1 and config.reader is not None:
        raise BundleError(f"{bundle_path}: an ensemble cannot read letters in windows (reader)")
    state, reverse_state = split_state(bundle.load_state_dict(device="cpu"))
    state = loaded_state(state, cfg.tie_embeddings, member_prefixes(n))
    try:  # fp16-stored weights are widened to the model's float32 here
        model.load_state_dict(state)
    except RuntimeError as e:  # missing or unexpected tensors, wrong shapes
        raise BundleError(f"{bundle_path}: weights do not match config.json ({e})") from e
    return model.to(device).eval(), bundle, reverse_state


class TranslationPredictor:
    """Translate landmark sequences (landmarks bundles) or gloss lines (gloss bundles)."""

    def __init__(self, model: Seq2Seq, tokenizer: TextTokenizer, vocab: GlossVocab,
                 name: str, config: dict[str, Any], device: str = "cpu",
                 reranker: NoisyChannel | None = None) -> None:
        self.model, self.tokenizer, self.vocab = model, tokenizer, vocab
        self.reranker = reranker  # the bundle's noisy-channel reranker (decode.rerank_weight)
        self.name, self.config, self.device = name, config, device
        self.input_kind = model.cfg.input_kind
        # Trained on landmarks with the hands Holistic lost recovered (landmarks.hands).
        self.hand_recovery = bool((config.get("features") or {}).get("hand_recovery"))
        self.decode = DecodeConfig.from_dict(config.get("decode"))
        self.normalize = gloss_normalizer(config.get("gloss_normalizer"))

    @classmethod
    def from_bundle(cls, path: str | Path, device: str = "cpu") -> TranslationPredictor:
        """Load a bundle folder once (call this per worker process, not per job)."""
        model, bundle, reverse_state = _load(path, device)
        tokenizer, vocab = TextTokenizer(bundle.spm_path), GlossVocab(bundle.vocabulary)
        reranker = load_channel(bundle, reverse_state, vocab, tokenizer, device)
        return cls(model, tokenizer, vocab, bundle.name, bundle.config, device, reranker)

    @property
    def single_model(self) -> Translator:
        """The one model of a bundle that is no ensemble (letter reading needs its CTC head)."""
        if not isinstance(self.model, Translator):
            raise ValueError(f"bundle {self.name!r} is an ensemble: it cannot read letters")
        return self.model

    def decode_settings(self, beam_size: int | None = None,
                        length_penalty: float | None = None,
                        min_len_a: float | None = None,
                        rerank_weight: float | None = None) -> DecodeConfig:
        """The bundle's decoding (config.json "decode": beam, length penalty, output cap), with
        explicit overrides. Jobs, translate-text and evaluate-translation all decode with this,
        so a served translation is the one the bundle's metrics were measured with."""
        overrides: dict[str, Any] = {}
        if beam_size is not None:
            overrides["beam_size"] = beam_size
        if length_penalty is not None:
            overrides["length_penalty"] = length_penalty
        if min_len_a is not None:
            overrides["min_len_a"] = min_len_a
        if rerank_weight is not None:
            overrides["rerank_weight"] = rerank_weight
        return replace(self.decode, **overrides)

    def encode_glosses(self, line: str) -> list[int]:
        """Source ids of one gloss line, after the bundle's gloss normalisation (if any)."""
        return self.vocab.encode(self.normalize(line))

    def translate(self, seq: LandmarkSequence, on_token: OnToken | None = None,
                  beam_size: int | None = None) -> dict[str, Any]:
        """Translate one clip: {"model", "text", "tokens": [{"piece", "logprob"}], "glosses",
        "decode"}, decoded with the bundle's settings (`beam_size` overrides its beam).

        Greedy bundles call `on_token(piece, logprob)` as each piece is decoded (streaming);
        with a beam it is called for the final pieces once the search ends.
        """
        if self.input_kind != "landmarks":
            raise ValueError(f"bundle {self.name!r} takes glosses: use translate_text()")
        settings = self.decode_settings(beam_size)
        seq = as_trained(seq, self.hand_recovery)  # the landmarks it was trained on
        feats = sequence_features(seq, self.config.get("features", {}).get("set", FEATURE_SET))
        result: dict[str, Any] = {"model": self.name, "text": "", "tokens": [], "glosses": [],
                                  "decode": settings.to_dict()}
        if len(feats) == 0:
            return result
        if self.config.get("reader"):  # long clips: CTC letters read in overlapping windows
            return self._read_windows(feats, result, on_token, seq.fps)
        src = torch.from_numpy(np.ascontiguousarray(feats))[None].to(self.device)
        mask = torch.ones(src.shape[:2], dtype=torch.bool, device=self.device)
        result.update(self._decode_one(src, mask, settings, on_token))
        result["glosses"] = self._ctc_glosses(src, mask)
        return result

    def translate_glosses(self, glosses: Sequence[str], on_token: OnToken | None = None,
                          beam_size: int | None = None) -> dict[str, Any]:
        """Translate one recognised gloss sequence (gloss bundles), like `translate` does a
        clip: same result keys, the bundle's decoding and gloss normalisation, tokens streamed."""
        if self.input_kind != "gloss":
            raise ValueError(f"bundle {self.name!r} takes landmarks: use translate()")
        settings = self.decode_settings(beam_size)
        result: dict[str, Any] = {"model": self.name, "text": "", "tokens": [],
                                  "glosses": list(glosses), "decode": settings.to_dict()}
        ids = self.encode_glosses(" ".join(glosses))
        if not ids:
            return result
        src = torch.tensor([ids], dtype=torch.long, device=self.device)
        mask = torch.ones_like(src, dtype=torch.bool)
        result.update(self._decode_one(src, mask, settings, on_token))
        return result

    def _decode_one(self, src: torch.Tensor, mask: torch.Tensor, settings: DecodeConfig,
                    on_token: OnToken | None) -> dict[str, Any]:
        """{"text", "tokens"} of a batch of one, streaming pieces to `on_token`."""
        def stream(_row: int, tok: int, lp: float) -> None:
            if on_token is not None:
                on_token(self.tokenizer.piece(tok), round(lp, 4))

        hyp = decode_batch(self.model, src, mask, settings, stream if on_token else None,
                           self.reranker)[0]
        tokens = [{"piece": self.tokenizer.piece(t), "logprob": round(lp, 4)}
                  for t, lp in zip(hyp.tokens, hyp.logprobs, strict=True)]
        return {"text": self.tokenizer.decode(hyp.tokens), "tokens": tokens}

    def _read_windows(self, feats: np.ndarray, result: dict[str, Any],
                      on_token: OnToken | None, fps: float | None = None) -> dict[str, Any]:
        """The bundle's "reader" (translation.ml.windows): letters with their frame times."""
        from translation.ml.windows import labels_text, read_letters

        def stream(e: Any, label: str) -> None:
            if on_token is not None:
                on_token(labels_text([label]) or " ", round(e.logprob, 4))

        reading = read_letters(self.single_model, feats, self.vocab, self.config["reader"],
                               self.device, stream, fps)
        result["tokens"] = [{"piece": labels_text([g]) or " ", "logprob": round(e.logprob, 4),
                             "frame": e.frame} for e, g in zip(reading.emissions, reading.labels,
                                                               strict=True)]
        result.update(text=reading.text, glosses=reading.labels,
                      decode={**result["decode"], "reader": dict(self.config["reader"])})
        return result

    def _ctc_glosses(self, src: torch.Tensor, mask: torch.Tensor) -> list[str]:
        if self.model.ctc_head is None:
            return []
        with torch.no_grad():
            lp = self.model.ctc_log_probs(self.model.encode(src, mask))
        assert lp is not None
        return self.vocab.decode(ctc_greedy_glosses(lp, mask)[0])

    def translate_text(self, lines: Sequence[str], beam_size: int | None = None,
                       batch_size: int = 64, progress: bool = False) -> list[str]:
        """One translation per gloss line, in order, decoded with the bundle's settings
        (`beam_size` overrides its beam); empty lines give empty strings."""
        if self.input_kind != "gloss":
            raise ValueError(f"bundle {self.name!r} takes landmarks: use translate()")
        settings = self.decode_settings(beam_size)
        out = [""] * len(lines)
        todo = [(i, self.encode_glosses(line)) for i, line in enumerate(lines)]
        todo = [(i, ids) for i, ids in todo if ids]
        examples = [Example(src=ids, tgt=[], ctc=[]) for _, ids in todo]
        batches = bucket_batches([e.src_len for e in examples], batch_size, shuffle=False)
        for idx in tqdm(batches, desc="translate", file=sys.stderr, disable=not progress):
            batch = collate([examples[i] for i in idx]).to(self.device)
            hyps = decode_batch(self.model, batch.src, batch.src_mask, settings,
                                reranker=self.reranker)
            for j, hyp in zip(idx, hyps, strict=True):
                out[todo[j][0]] = self.tokenizer.decode(hyp.tokens)
        return out
