"""Several translators of one architecture, tokenizer and vocabulary decoding as one model.

Each step's next-piece distribution is the mean of the members' probabilities (the usual
ensemble of NMT, e.g. fairseq's): `decode` and `decode_step` return log(mean_m p_m), which the
decoders' log_softmax leaves unchanged, so greedy and beam search, the key/value cache, the
output cap and the length floor work on an ensemble exactly as on one model.

The encoder memory of the members travels as one tensor, concatenated on the feature axis, so
that the decoders' batch bookkeeping (repeat for the beam, re-order rows) stays one tensor op.
A bundle stores an ensemble as `ensemble: N` in config.json and each member's weights under
`members.I.` in model.safetensors (translation.ml.infer.load_translator reads it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from translation.ml.config import ModelConfig
from translation.ml.model import DecoderCache, Translator


def _log_mean_exp(log_probs: list[torch.Tensor]) -> torch.Tensor:
    """log(mean_m exp(x_m)) over members, element-wise, in float32."""
    stacked = torch.stack([lp.float() for lp in log_probs])
    return torch.logsumexp(stacked, dim=0) - math.log(len(log_probs))


@dataclass
class EnsembleCache:
    """The members' incremental-decoding caches, re-ordered together."""

    members: list[DecoderCache]

    def reorder(self, index: torch.Tensor) -> None:
        for cache in self.members:
            cache.reorder(index)


class Ensemble(nn.Module):
    """N Translators with one ModelConfig: the Translator interface the decoders, evaluation
    and fine-tuning use (encode, decode, start_cache, decode_step, loss_terms)."""

    ctc_head = None  # members may have CTC heads; the ensemble reads no glosses

    def __init__(self, cfg: ModelConfig, n_members: int) -> None:
        super().__init__()
        if n_members < 2:
            raise ValueError(f"an ensemble needs at least 2 members, not {n_members}")
        self.cfg = cfg
        self.members: list[Translator] = nn.ModuleList(  # type: ignore[assignment]
            Translator(cfg) for _ in range(n_members))

    def _split(self, memory: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return memory.chunk(len(self.members), dim=-1)

    def encode(self, src: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        """(B, S, N*D): the members' memories side by side."""
        return torch.cat([m.encode(src, src_mask) for m in self.members], dim=-1)

    def ctc_log_probs(self, memory: torch.Tensor) -> torch.Tensor | None:
        return None

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor,
               src_mask: torch.Tensor) -> torch.Tensor:
        """Teacher-forced: (B, T, V) log mean probability of the members."""
        return _log_mean_exp([torch.log_softmax(m.decode(tgt_in, mem, src_mask).float(), -1)
                              for m, mem in zip(self.members, self._split(memory), strict=True)])

    def start_cache(self, memory: torch.Tensor, src_mask: torch.Tensor) -> EnsembleCache:
        return EnsembleCache([m.start_cache(mem, src_mask) for m, mem in
                              zip(self.members, self._split(memory), strict=True)])

    def decode_step(self, tokens: torch.Tensor, cache: EnsembleCache) -> torch.Tensor:
        """One token per row -> (B, V) log mean probability of the members."""
        return _log_mean_exp([torch.log_softmax(m.decode_step(tokens, c).float(), -1)
                              for m, c in zip(self.members, cache.members, strict=True)])

    def loss_terms(self, logits: torch.Tensor, targets: torch.Tensor, memory: torch.Tensor,
                   src_mask: torch.Tensor, ctc_targets: torch.Tensor | None
                   ) -> dict[str, torch.Tensor]:
        """Label-smoothed cross-entropy of the mixture (`logits` are its log-probabilities,
        which cross_entropy's log_softmax leaves unchanged): fine-tuning trains the ensemble
        as it decodes."""
        return self.members[0].loss_terms(logits, targets, memory[..., :self.cfg.d_model],
                                          src_mask, None)


def member_prefixes(members: int) -> list[str]:
    """The key prefix of each member's weights in a bundle: "" for one model, `members.I.` for
    each member of an ensemble."""
    return [""] if members == 1 else [f"members.{i}." for i in range(members)]


def stack_members(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """One state dict of an ensemble from its members' (`members.I.` + each key)."""
    return {prefix + k: v for prefix, state in zip(member_prefixes(len(states)), states,
                                                   strict=True) for k, v in state.items()}


# What decoding, evaluation, serving and fine-tuning accept: one model or an ensemble.
Seq2Seq = Translator | Ensemble


@dataclass
class Assembled:
    """An ensemble built from member bundles, with what its bundle needs from them."""

    model: Ensemble
    first: Any  # the first member's mlcore.bundle.Bundle: tokenizer, vocabulary, settings
    members: list[Any]  # every member's Bundle, in order


def assemble(paths: list[str] | list[Path]) -> Assembled:
    """Load member bundles and join them; refused (BundleError) unless every member is one
    model with the same architecture, task, tokenizer, gloss vocabulary and normalisation."""
    from mlcore.bundle import BundleError
    from translation.ml.infer import load_translator

    if len(paths) < 2:
        raise BundleError("an ensemble needs at least 2 member bundles")
    loaded = [load_translator(p) for p in paths]
    first_model, first = loaded[0]
    for path, (model, bundle) in zip(paths, loaded, strict=True):
        if not isinstance(model, Translator):
            raise BundleError(f"{path} is already an ensemble: name its members instead")
        same = {
            "architecture (config.json model)": model.cfg == first_model.cfg,
            "task": bundle.task == first.task,
            "tokenizer (spm.model)": bundle.spm_path.read_bytes() == first.spm_path.read_bytes(),
            "gloss vocabulary": bundle.vocabulary == first.vocabulary,
            "gloss normalisation": (bundle.config.get("gloss_normalizer")
                                    == first.config.get("gloss_normalizer")),
        }
        differ = [what for what, ok in same.items() if not ok]
        if differ:
            raise BundleError(f"{path} differs from {paths[0]} in {', '.join(differ)}")
        if bundle.config.get("reader"):
            raise BundleError(f"{path} reads letters in windows: it cannot join an ensemble")
        if bundle.config.get("reverse"):
            raise BundleError(f"{path} reranks with a reverse model: join the plain bundles, "
                              "then add the reranker (slrweb rerank-translation)")
    ensemble = Ensemble(first_model.cfg, len(loaded))
    ensemble.load_state_dict(stack_members([m.state_dict() for m, _ in loaded]))
    return Assembled(ensemble.eval(), first, [b for _, b in loaded])


def ensemble_card(name: str, language: str, metrics: dict[str, Any], first: Any, command: str,
                  note: str = "") -> str:
    """MODEL_CARD.md of an ensemble bundle: its members with their own dev scores, the
    ensemble's dev scores (when measured) next to the copy baseline, the command."""
    from mlcore.card import ModelCard, table

    cfg = first.config.get("model", {})
    members = metrics["members"]
    card = ModelCard(name, f"Task: {first.task} (gloss -> text), an ensemble of {len(members)} "
                     f"translators. Language: {language}.", commands=[command])
    card.add("Model", (
        f"{len(members)} encoder-decoder transformers (translation.ml.model.Translator) of one "
        f"architecture (d_model {cfg.get('d_model')}, {cfg.get('n_heads')} heads, "
        f"{cfg.get('n_enc_layers')}+{cfg.get('n_dec_layers')} layers), one tokenizer and one "
        "gloss vocabulary, decoded together (translation.ml.ensemble): every step's next-piece "
        "distribution is the mean of the members' probabilities. Decoding settings, tokenizer "
        "and vocabulary are the first member's."),
        table(["member", "name", "dev BLEU-4 (its own card)", "dev chrF"],
              [[m["bundle"], m["name"], m["dev_bleu4"], m["dev_chrf"]] for m in members]))
    if "bleu4" in metrics:
        base = metrics["copy_baseline"]
        card.add("Metrics (dev set, the bundle's decoding)", (
            f"BLEU-4 {metrics['bleu4']} ({metrics['bleu_signature']}); chrF {metrics['chrf']} "
            f"({metrics['chrf_signature']}); copy baseline in the same run BLEU-4 "
            f"{base['bleu4']} / chrF {base['chrf']}; beam {metrics['beam_size']}, length penalty "
            f"{metrics['length_penalty']}, minimum length {metrics['min_len_a']} x glosses, "
            f"output cap {metrics['max_len'][0]} x glosses + {metrics['max_len'][1]}."))
    card.add("Licence", first.card.split("## Licence", 1)[-1].split("##", 1)[0].strip()
             if "## Licence" in first.card else "As the members' cards say.")
    card.add("Notes", note)
    return card.render()
