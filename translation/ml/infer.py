"""TranslationPredictor: a bundle loaded once per worker process, then many translations.

This is the narrow contract the web worker calls (`from_bundle`, `translate`, `translate_text`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from landmarks.sequence import LandmarkSequence
from translation.ml.config import DecodeConfig, ModelConfig
from translation.ml.data import Example, bucket_batches, collate
from translation.ml.decode import beam_search, greedy_decode
from translation.ml.evaluate import ctc_greedy_glosses
from translation.ml.features import FEATURE_SET, sequence_features
from translation.ml.model import Translator
from translation.ml.tokenizer import GlossVocab, TextTokenizer

OnToken = Callable[[str, float], None]


def load_translator(bundle_path: str | Path, device: str = "cpu") -> tuple[Translator, Any]:
    """Read a translation bundle and build its model in eval mode: (model, Bundle)."""
    from mlcore.bundle import BundleError, read_bundle

    bundle = read_bundle(bundle_path)
    if bundle.task != "translation":
        raise BundleError(f"{bundle_path} is a {bundle.task!r} bundle, not a translation one")
    cfg = ModelConfig.from_dict(bundle.config["model"])
    model = Translator(cfg)
    state = bundle.load_state_dict(device="cpu")
    if cfg.tie_embeddings:  # safetensors stores the shared matrix once
        state.setdefault("out_proj.weight", state["tgt_embed.weight"])
    model.load_state_dict(state)
    return model.to(device).eval(), bundle


class TranslationPredictor:
    """Translate landmark sequences (landmarks bundles) or gloss lines (gloss bundles)."""

    def __init__(self, model: Translator, tokenizer: TextTokenizer, vocab: GlossVocab,
                 name: str, config: dict[str, Any], device: str = "cpu") -> None:
        self.model, self.tokenizer, self.vocab = model, tokenizer, vocab
        self.name, self.config, self.device = name, config, device
        self.input_kind = model.cfg.input_kind
        self.decode = DecodeConfig.from_dict(config.get("decode"))

    @classmethod
    def from_bundle(cls, path: str | Path, device: str = "cpu") -> TranslationPredictor:
        """Load a bundle folder once (call this per worker process, not per job)."""
        model, bundle = load_translator(path, device)
        tokenizer = TextTokenizer(bundle.spm_path)
        return cls(model, tokenizer, GlossVocab(bundle.vocabulary), bundle.name, bundle.config,
                   device)

    def translate(self, seq: LandmarkSequence, on_token: OnToken | None = None,
                  beam_size: int = 1) -> dict[str, Any]:
        """Translate one clip: {"model", "text", "tokens": [{"piece", "logprob"}], "glosses"}.

        With beam_size 1, `on_token(piece, logprob)` is called as each piece is decoded
        (streaming); with a beam it is called for the final pieces once the search ends.
        """
        if self.input_kind != "landmarks":
            raise ValueError(f"bundle {self.name!r} takes glosses: use translate_text()")
        feats = sequence_features(seq, self.config.get("features", {}).get("set", FEATURE_SET))
        result: dict[str, Any] = {"model": self.name, "text": "", "tokens": [], "glosses": []}
        if len(feats) == 0:
            return result
        src = torch.from_numpy(np.ascontiguousarray(feats))[None].to(self.device)
        mask = torch.ones(src.shape[:2], dtype=torch.bool, device=self.device)
        def stream(_row: int, tok: int, lp: float) -> None:
            if on_token is not None:
                on_token(self.tokenizer.piece(tok), lp)

        caps = self._caps()
        if beam_size > 1:
            hyp = beam_search(self.model, src, mask, beam_size=beam_size,
                              alpha=self.decode.length_penalty, **caps)[0]
        else:
            hyp = greedy_decode(self.model, src, mask, on_token=stream if on_token else None,
                                **caps)[0]
        result["tokens"] = [{"piece": self.tokenizer.piece(t), "logprob": round(lp, 4)}
                            for t, lp in zip(hyp.tokens, hyp.logprobs, strict=True)]
        if on_token is not None and beam_size > 1:
            for tok in result["tokens"]:
                on_token(tok["piece"], tok["logprob"])
        result["text"] = self.tokenizer.decode(hyp.tokens)
        result["glosses"] = self._ctc_glosses(src, mask)
        return result

    def _caps(self) -> dict[str, Any]:
        return {"max_len_a": self.decode.max_len_a, "max_len_b": self.decode.max_len_b}

    def _ctc_glosses(self, src: torch.Tensor, mask: torch.Tensor) -> list[str]:
        if self.model.ctc_head is None:
            return []
        with torch.no_grad():
            lp = self.model.ctc_log_probs(self.model.encode(src, mask))
        assert lp is not None
        return self.vocab.decode(ctc_greedy_glosses(lp, mask)[0])

    def translate_text(self, lines: Sequence[str], beam_size: int = 4, batch_size: int = 64,
                       progress: bool = False) -> list[str]:
        """One translation per gloss line, in order; empty lines give empty strings."""
        if self.input_kind != "gloss":
            raise ValueError(f"bundle {self.name!r} takes landmarks: use translate()")
        out = [""] * len(lines)
        todo = [(i, self.vocab.encode(line)) for i, line in enumerate(lines)]
        todo = [(i, ids) for i, ids in todo if ids]
        examples = [Example(src=ids, tgt=[], ctc=[]) for _, ids in todo]
        batches = bucket_batches([e.src_len for e in examples], batch_size, shuffle=False)
        for idx in tqdm(batches, desc="translate", file=sys.stderr, disable=not progress):
            batch = collate([examples[i] for i in idx]).to(self.device)
            if beam_size > 1:
                hyps = beam_search(self.model, batch.src, batch.src_mask, beam_size=beam_size,
                                   alpha=self.decode.length_penalty, **self._caps())
            else:
                hyps = greedy_decode(self.model, batch.src, batch.src_mask, **self._caps())
            for j, hyp in zip(idx, hyps, strict=True):
                out[todo[j][0]] = self.tokenizer.decode(hyp.tokens)
        return out
