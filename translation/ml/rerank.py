"""Noisy-channel reranking of the beam's n-best with a reverse (text -> glosses) model.

The forward model proposes its beam's finished candidates y for the glosses x; a *reverse* model,
trained on the same pairs the other way round, scores how well each y explains x. The pick is
the candidate with the best

    log P(y | x) / lp(|y|)   +   weight * log P(x | y) / (|x| + 1)

the forward score as the beam ranks it (length-normalised) plus the reverse log-probability per
gloss piece (eos included): noisy-channel reranking after Yee et al. 2019, "Simple and effective
noisy channel modeling for neural machine translation", without their language model term.

A bundle carries its reverse model inside itself, so that jobs, `translate-text` and
`evaluate-translation` rerank alike (translation.ml.decode.decode_batch refuses a reranking
`decode` without it): config.json "reverse" is the reverse model's shape, its weights are the
`reverse.` keys of model.safetensors, its text vocabulary `reverse.glosses.txt` (words, the
reverse model's source) and its gloss pieces `reverse.spm.model` (its target). The weight is the
bundle's decoding setting "rerank_weight" (0 = the beam's own choice).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from translation.ml.config import DecodeConfig
from translation.ml.data import Example, collate
from translation.ml.decode import eval_mode
from translation.ml.model import Translator, loaded_state, stored_state
from translation.ml.tokenizer import PAD_ID, UNK_ID, GlossVocab, TextTokenizer

PREFIX = "reverse."  # the reverse model's keys in model.safetensors
SPM_FILE = "reverse.spm.model"  # its target pieces (glosses)
VOCAB_FILE = "reverse.glosses.txt"  # its source vocabulary (words of the text)


def channel_logprobs(model: Translator, vocab: GlossVocab, tokenizer: TextTokenizer,
                     pairs: list[tuple[str, str]], batch_size: int = 64) -> list[float]:
    """Per (text, gloss line): mean log P(gloss pieces + eos | text) under the reverse model."""
    out: list[float] = []
    with eval_mode(model):
        for a in range(0, len(pairs), batch_size):
            examples = [Example(src=vocab.encode(text) or [UNK_ID], ctc=[],
                                tgt=tokenizer.encode(glosses))
                        for text, glosses in pairs[a: a + batch_size]]
            batch = collate(examples).to(next(model.parameters()).device)
            memory = model.encode(batch.src, batch.src_mask)
            logp = torch.log_softmax(model.decode(batch.tgt_in, memory, batch.src_mask).float(), -1)
            picked = logp.gather(-1, batch.targets.unsqueeze(-1)).squeeze(-1)
            real = batch.targets != PAD_ID
            out += ((picked * real).sum(1) / real.sum(1)).tolist()
    return out


def known_glosses(vocab: GlossVocab, ids: list[int]) -> str:
    """The gloss line the reverse model is asked to explain: the source's glosses that the
    forward vocabulary knows (an unknown one reached the forward model as <unk> alone)."""
    return " ".join(vocab.decode([i for i in ids if i != UNK_ID]))


@dataclass
class NoisyChannel:
    """A reverse model with its vocabularies, and the forward bundle's, to read the beam's
    candidates (forward pieces -> text) and their sources (forward gloss ids -> glosses)."""

    reverse: Translator
    reverse_vocab: GlossVocab  # words in
    reverse_tokenizer: TextTokenizer  # gloss pieces out
    source_vocab: GlossVocab  # the forward model's gloss vocabulary
    text_tokenizer: TextTokenizer  # the forward model's pieces

    def pick(self, src: torch.Tensor, src_mask: torch.Tensor, nbest: list[list[Any]],
             weight: float) -> list[Any]:
        """The best candidate of each row by forward score + weight x reverse score; each
        candidate's reverse score is kept in its `extra["channel"]`."""
        sources = [known_glosses(self.source_vocab, [i for i, real in zip(row, mask, strict=True)
                                                     if real])
                   for row, mask in zip(src.tolist(), src_mask.tolist(), strict=True)]
        pairs = [(self.text_tokenizer.decode(h.tokens), source)
                 for source, cands in zip(sources, nbest, strict=True) for h in cands]
        scores = iter(channel_logprobs(self.reverse, self.reverse_vocab, self.reverse_tokenizer,
                                       pairs))
        for cands in nbest:
            for h in cands:
                h.extra["channel"] = next(scores)
        return [max(cands, key=lambda h: h.score + weight * h.extra["channel"])
                for cands in nbest]


def split_state(state: dict[str, torch.Tensor]
                ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(forward weights, reverse weights without their prefix) of a bundle's state dict."""
    forward = {k: v for k, v in state.items() if not k.startswith(PREFIX)}
    reverse = {k[len(PREFIX):]: v for k, v in state.items() if k.startswith(PREFIX)}
    return forward, reverse


def load_channel(bundle: Any, reverse_state: dict[str, torch.Tensor], source_vocab: GlossVocab,
                 text_tokenizer: TextTokenizer, device: str = "cpu") -> NoisyChannel | None:
    """The reranker a bundle carries (None if it has no "reverse"); BundleError when its parts
    are missing or do not match config.json, or when its decoding reranks without one."""
    from mlcore.bundle import BundleError
    from translation.ml.config import ModelConfig

    spec = bundle.config.get("reverse")
    weight = DecodeConfig.from_dict(bundle.config.get("decode")).rerank_weight
    if spec is None:
        if reverse_state or weight:
            raise BundleError(f"{bundle.path}: reverse weights or a rerank_weight without a "
                              'reverse model in config.json ("reverse")')
        return None
    missing = [f for f in (SPM_FILE, VOCAB_FILE) if not (bundle.path / f).is_file()]
    if missing:
        raise BundleError(f"{bundle.path}: its reverse model needs {', '.join(missing)}")
    reverse = Translator(ModelConfig.from_dict(spec))
    try:
        reverse.load_state_dict(loaded_state(reverse_state, reverse.cfg.tie_embeddings))
    except RuntimeError as e:
        raise BundleError(f"{bundle.path}: reverse weights do not match config.json ({e})") from e
    vocab = GlossVocab((bundle.path / VOCAB_FILE).read_text().split())
    tokenizer = TextTokenizer(bundle.path / SPM_FILE)
    if len(vocab) != reverse.cfg.src_vocab_size or len(tokenizer) != reverse.cfg.tgt_vocab_size:
        raise BundleError(f"{bundle.path}: the reverse vocabularies ({len(vocab)} words, "
                          f"{len(tokenizer)} pieces) do not match its config "
                          f"({reverse.cfg.src_vocab_size}, {reverse.cfg.tgt_vocab_size})")
    return NoisyChannel(reverse.to(device).eval(), vocab, tokenizer, source_vocab, text_tokenizer)


def joined(forward: Any, reverse: Any, weight: float) -> Any:
    """The `forward` predictor (glosses -> text) decoding with the `reverse` one (text ->
    glosses, trained on the same pairs the other way round) as its reranker at `weight`, in
    memory; refused (BundleError) unless both read glosses and the reverse one is one plain
    model without a reranker of its own."""
    from mlcore.bundle import BundleError
    from translation.ml.infer import TranslationPredictor

    if forward.input_kind != "gloss" or reverse.input_kind != "gloss":
        raise BundleError("noisy-channel reranking joins two gloss-input bundles "
                          "(glosses -> text, and text -> glosses)")
    if not isinstance(reverse.model, Translator) or reverse.reranker is not None:
        raise BundleError("the reverse model must be one plain model without a reranker")
    if weight <= 0:
        raise BundleError(f"the rerank weight must be above 0, not {weight}")
    config = {**forward.config,
              "decode": replace(forward.decode, rerank_weight=weight).to_dict(),
              "reverse": reverse.model.cfg.to_dict()}
    channel = NoisyChannel(reverse.model, reverse.vocab, reverse.tokenizer, forward.vocab,
                           forward.tokenizer)
    return TranslationPredictor(forward.model, forward.tokenizer, forward.vocab, forward.name,
                                config, forward.device, channel)


def carried_reverse(predictor: Any) -> Any:
    """The reverse model a reranked bundle's predictor carries, as a predictor of its own
    (text -> glosses), so that `joined` can give it to another forward model; BundleError if
    it carries none."""
    from mlcore.bundle import BundleError
    from translation.ml.infer import TranslationPredictor

    channel = predictor.reranker
    if channel is None:
        raise BundleError(f"{predictor.name} carries no reverse model")
    return TranslationPredictor(channel.reverse, channel.reverse_tokenizer, channel.reverse_vocab,
                                f"{predictor.name} (its reverse model)",
                                {"model": channel.reverse.cfg.to_dict()}, predictor.device)


def attach(predictor: Any, out: str | Path, *, language: str, metrics: dict[str, Any],
           card: str) -> Path:
    """Write a `joined` predictor as one bundle: the forward model as it was, its reverse
    model's weights under `reverse.`, the reverse vocabularies beside them."""
    from translation.ml.pipeline import write_translation_bundle

    channel = predictor.reranker
    state = stored_state(channel.reverse.state_dict(), channel.reverse.cfg.tie_embeddings)
    files = {SPM_FILE: Path(channel.reverse_tokenizer.model_path).read_bytes(),
             VOCAB_FILE: ("\n".join(channel.reverse_vocab.glosses) + "\n").encode()}
    extra = {k: v for k, v in predictor.config.items() if k not in ("model", "ensemble")}
    return write_translation_bundle(
        out, model=predictor.model, tokenizer=predictor.tokenizer, vocab=predictor.vocab,
        name=predictor.name, language=language, metrics=metrics, card=card, extra_config=extra,
        extra_weights={PREFIX + k: v for k, v in state.items()}, extra_files=files)


def rerank_card(forward_card: str, metrics: dict[str, Any], decode: DecodeConfig, command: str,
                note: str = "") -> str:
    """The forward bundle's card with a section on its reranker: the reverse model, the weight,
    dev scores with and without reranking (same run, same decoding otherwise), the command."""
    reverse = metrics["reverse"]
    lines = [
        "", "## Reranking (noisy channel, translation.ml.rerank)", "",
        f"The beam's finished candidates (beam {decode.beam_size}) are reranked by their "
        f"forward score + {decode.rerank_weight} x the log-probability per gloss piece that a "
        f"reverse model (text -> glosses, `{reverse['name']}`, its own dev BLEU-4 "
        f"{reverse['dev_bleu4']} on glosses, kept inside this bundle under `reverse.`) gives "
        "the input glosses (Yee et al. 2019, without a language model). Everything above this "
        "section describes the forward model as it was before.",
    ]
    if "bleu4" in metrics:
        plain, base = metrics["without_reranking"], metrics["copy_baseline"]
        lines += ["", f"Dev set, the bundle's decoding: BLEU-4 {metrics['bleu4']} "
                  f"({metrics['bleu_signature']}), chrF {metrics['chrf']}; without reranking "
                  f"(same run) BLEU-4 {plain['bleu4']}, chrF {plain['chrf']}; copy baseline "
                  f"BLEU-4 {base['bleu4']}, chrF {base['chrf']}."]
    if note.strip():
        lines += ["", note.strip()]
    lines += ["", "Written with:", "", f"    {command}"]
    return forward_card.rstrip() + "\n" + "\n".join(lines) + "\n"
