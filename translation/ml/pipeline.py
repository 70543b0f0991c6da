"""From command-line options to a trained translation bundle (both input kinds).

Kept apart from cli.py so that the argument parsing stays thin and the steps (prepare data,
train, evaluate, write the bundle) can be called from tests and benchmarks.
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mlcore.card import ModelCard
from mlcore.train import LoopState
from translation.ml.config import DecodeConfig, ModelConfig, TrainConfig
from translation.ml.data import (
    Example,
    encode_gloss_pairs,
    load_parallel,
    read_lines,
    split_lines,
    unk_dropout,
)
from translation.ml.evaluate import copy_baseline_metrics, evaluate_examples
from translation.ml.glossnorm import gloss_normalizer, pseudo_glosses
from translation.ml.ensemble import Ensemble, Seq2Seq, member_prefixes
from translation.ml.model import Translator, stored_state
from translation.ml.tokenizer import GlossVocab, TextTokenizer, gloss_piece_map, train_spm
from translation.ml.train import EpochData, epoch_weight_files, fit, keep_epoch_weights


@dataclass
class PreparedData:
    """What training needs besides the model: data, vocabularies, bundle metadata."""

    train: EpochData
    dev: list[Example]
    tokenizer: TextTokenizer
    vocab: GlossVocab
    vocab_role: str  # "source" (gloss input) or "ctc" (landmark input)
    model_overrides: dict[str, Any]  # vocabulary sizes / input width implied by the data
    extra_config: dict[str, Any]  # e.g. the landmark feature spec, stored in config.json
    data_card: str  # the "Data" paragraph of the model card
    # Extra evaluation of the final model (e.g. CER on held-out fingerspelled words).
    extra_eval: Callable[[Translator], dict[str, Any]] | None = None
    # The registry task the bundle serves: "translation", or "fingerspelling" (spelled spans).
    task: str = "translation"


def model_config_from_args(args: argparse.Namespace, overrides: dict[str, Any]) -> ModelConfig:
    return ModelConfig(
        input_kind=args.input_kind, d_model=args.d_model, n_heads=args.heads,
        n_enc_layers=args.enc_layers, n_dec_layers=args.dec_layers, d_ff=args.d_ff,
        dropout=args.dropout, attn_dropout=args.attn_dropout, pre_norm=not args.post_norm,
        velocity=args.velocity, label_smoothing=args.label_smoothing,
        ctc_weight=args.ctc_weight, max_tgt_len=args.max_tgt_len,
        share_gloss_text=args.share_gloss_text, **overrides,
    )


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, warmup_steps=args.warmup,
        weight_decay=args.weight_decay, patience=args.patience, eval_every=args.eval_every,
        final_beam_size=args.beam, length_penalty=args.alpha, seed=args.seed,
        num_threads=args.threads, max_minutes=args.max_minutes,
        select_metric=args.select_metric, plateau_factor=args.plateau_factor,
        unk_dropout=getattr(args, "unk_dropout", 0.0),
        schedule=getattr(args, "schedule", "inverse_sqrt"),
        average_last=getattr(args, "average_last", 0),
    )


def tokenizer_for(args: argparse.Namespace, texts: Sequence[str], work_dir: Path) -> TextTokenizer:
    """The given --spm-model, or one trained now on the training texts."""
    if args.spm_model:
        return TextTokenizer(args.spm_model)
    path = train_spm(texts, work_dir / "spm", vocab_size=args.spm_vocab_size,
                     model_type=args.spm_type)
    return TextTokenizer(path)


def prepare_gloss_data(args: argparse.Namespace, work_dir: Path) -> PreparedData:
    """Line-aligned gloss/text files -> word-level gloss vocabulary, SentencePiece, examples."""
    train_pairs = load_parallel(args.train_src, args.train_tgt)
    dev_pairs = load_parallel(args.dev_src, args.dev_tgt)
    normalize = gloss_normalizer(getattr(args, "gloss_normalizer", None))
    if getattr(args, "pseudo_gloss_pairs", False):  # training English only, never dev
        known = {t for g, _ in train_pairs for t in normalize(g).split()}
        train_pairs = train_pairs + [(pseudo_glosses(t, known), t) for _, t in train_pairs]
    vocab = GlossVocab.build((normalize(g) for g, _ in train_pairs), min_freq=args.min_gloss_freq)
    tokenizer = tokenizer_for(args, [t for _, t in train_pairs], work_dir)
    train = encode_gloss_pairs(train_pairs, vocab, tokenizer, args.max_tgt_len, normalize)
    dev = encode_gloss_pairs(dev_pairs, vocab, tokenizer, 10_000, normalize)
    card = (f"Gloss->text pairs: {len(train)} training lines from `{args.train_src}` / "
            f"`{args.train_tgt}`, {len(dev)} dev lines from `{args.dev_src}` / `{args.dev_tgt}`. "
            f"Source vocabulary: {len(vocab.glosses)} glosses (word level, min frequency "
            f"{args.min_gloss_freq}); target: SentencePiece {args.spm_type}, {len(tokenizer)} "
            "pieces, trained on the training text.")
    rate = getattr(args, "unk_dropout", 0.0)
    if rate > 0:
        card += (f" Each epoch, every training gloss became <unk> with probability {rate} "
                 "(word dropout; unseen glosses arrive as <unk>).")
    return PreparedData(
        train=unk_dropout(train, rate, args.seed), dev=dev, tokenizer=tokenizer, vocab=vocab,
        vocab_role="source", model_overrides={"src_vocab_size": len(vocab),
                                              "tgt_vocab_size": len(tokenizer)},
        extra_config=({"gloss_normalizer": args.gloss_normalizer}
                      if getattr(args, "gloss_normalizer", None) else {}),
        data_card=card,
    )


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def command_line(args: argparse.Namespace) -> str:
    """The command that is running, as a user would type it."""
    return shlex.join(["slrweb", *(getattr(args, "argv", None) or sys.argv[1:])])


def _heldout_lines(metrics: dict[str, Any]) -> list[str]:
    """Card paragraphs for the held-out-word evaluation of landmark bundles (if any)."""
    held = metrics.get("heldout_words")
    if not held:
        return []
    return [f"Held-out words (never seen in training, spelled with held-out letter samples): "
            f"CER {held['cer']}, word accuracy {held['word_accuracy']}, CTC letter error rate "
            f"{held['ctc_letter_wer']}, over {held['sequences']} sequences of {held['words']} "
            f"words (beam {held['beam_size']})."]


def model_card(args: argparse.Namespace, data: PreparedData, model: Seq2Seq,
               metrics: dict[str, Any], state: LoopState, minutes: float) -> str:
    """Markdown card: what the model is, its data and licence, metrics, the exact command."""
    cfg = model.cfg
    card = ModelCard(args.name, f"Task: translation ({cfg.input_kind} -> text). Language: "
                     f"{args.language}.", commands=state.commands or [command_line(args)])
    card.add("Data", data.data_card)
    card.add("Licence", args.licence)
    card.add("Model", (
        f"Encoder-decoder transformer (translation.ml.model.Translator): d_model {cfg.d_model}, "
        f"{cfg.n_heads} heads, {cfg.n_enc_layers}+{cfg.n_dec_layers} layers, d_ff {cfg.d_ff}, "
        f"dropout {cfg.dropout}, {'pre' if cfg.pre_norm else 'post'}-LayerNorm, tied target "
        f"embeddings, {count_parameters(model):,} parameters; CTC weight {cfg.ctc_weight}, "
        f"label smoothing {cfg.label_smoothing}, velocity features {cfg.velocity}."))
    card.add("Metrics (dev set, beam search)", (
        f"BLEU-4 {metrics['bleu4']} ({metrics['bleu_signature']}); chrF {metrics['chrf']} "
        f"({metrics['chrf_signature']}); CER {metrics['cer']}; CTC gloss WER "
        f"{metrics['ctc_gloss_wer']}; beam {metrics['beam_size']}, length penalty "
        f"{metrics['length_penalty']}."), *_heldout_lines(metrics), (
        f"Best dev {args.select_metric} (greedy, selects the checkpoint) "
        f"{abs(state.best_score)} at epoch {state.best_epoch} of "
        f"{state.epoch}; {minutes:.1f} min of training on {platform.machine()} "
        f"({torch.get_num_threads()} CPU threads, device {args.device})."))
    card.add("Notes", getattr(args, "card_note", "") or "")
    return card.render()


def warm_start(model: Translator, bundle_path: str | Path, vocab: GlossVocab,
               tokenizer: TextTokenizer) -> list[str]:
    """Copy a bundle's weights into `model`, whose run has `vocab` and `tokenizer`. Rows that
    belong to a gloss (the gloss embedding, a CTC head) or to a piece (target embedding, output
    projection) are carried over by that gloss or piece, so a vocabulary rebuilt from other
    training lines (another frequency order, new glosses) keeps each known gloss's row; other
    tensors are copied where the shapes agree, and a grown one gets the bundle's values in its
    leading rows. Returns the names not copied whole (those keep their fresh initialisation,
    at least in part)."""
    from translation.ml.infer import load_translator

    source, bundle = load_translator(bundle_path)
    old_state = source.state_dict()
    glosses = _row_map(GlossVocab(bundle.vocabulary).itos, vocab.itos)
    pieces = (_row_map(_pieces(TextTokenizer(bundle.spm_path)), _pieces(tokenizer))
              if bundle.spm_path.is_file() else None)
    by_token = {"tgt_embed.weight": pieces, "out_proj.weight": pieces,
                "ctc_head.weight": glosses, "ctc_head.bias": glosses}
    if model.cfg.input_kind == "gloss":
        by_token["src_embed.weight"] = glosses
    partial = []
    with torch.no_grad():
        for name, param in model.state_dict().items():
            old = old_state.get(name)
            if name == "gloss_to_piece":  # derived from this run's vocabularies: kept
                continue
            rows = by_token.get(name)
            if (old is not None and rows is not None and old.shape[1:] == param.shape[1:]
                    and (old.shape[0], param.shape[0]) == rows[2]):
                new_rows, old_rows, _ = rows
                param[new_rows] = old[old_rows]
                if len(new_rows) < param.shape[0]:
                    partial.append(name)
                continue
            if old is not None and old.shape == param.shape:
                param.copy_(old)
                continue
            partial.append(name)
            if old is not None and old.dim() == param.dim() and all(
                    o <= n for o, n in zip(old.shape, param.shape, strict=True)):
                param[tuple(slice(0, o) for o in old.shape)].copy_(old)
    return partial


def _pieces(tokenizer: TextTokenizer) -> list[str]:
    return [tokenizer.piece(i) for i in range(len(tokenizer))]


RowMap = tuple[torch.Tensor, torch.Tensor, tuple[int, int]]


def _row_map(old: list[str], new: list[str]) -> RowMap:
    """(rows in `new`, their rows in `old`) of the tokens both vocabularies hold, and the two
    vocabularies' sizes (a tensor with other row counts is not indexed by them)."""
    where = {token: i for i, token in enumerate(old)}
    pairs = [(i, where[token]) for i, token in enumerate(new) if token in where]
    return (torch.tensor([i for i, _ in pairs], dtype=torch.long),
            torch.tensor([j for _, j in pairs], dtype=torch.long), (len(old), len(new)))


def run_training(args: argparse.Namespace, data: PreparedData) -> Path:
    """Train, evaluate on dev with beam search, write the bundle; returns its folder."""
    torch.set_num_threads(args.threads)
    model_cfg = model_config_from_args(args, data.model_overrides)
    train_cfg = train_config_from_args(args)
    torch.manual_seed(train_cfg.seed)
    model = Translator(model_cfg)
    if model_cfg.share_gloss_text:
        mapping = gloss_piece_map(data.vocab, data.tokenizer)
        model.gloss_to_piece.copy_(torch.tensor(mapping))
    ckpt_dir = Path(args.checkpoint_dir or Path("tmp") / "translation-runs" / args.name)
    if getattr(args, "init_from", None):
        warm_start(model, args.init_from, data.vocab, data.tokenizer)
        if train_cfg.average_last and not (args.resume and (ckpt_dir / "last.pt").is_file()):
            # the trained weights a continued run starts from are its epoch 0 in the average
            keep_epoch_weights(model, ckpt_dir, 0, train_cfg.average_last)
    model, state = fit(model, data.train, data.dev, data.tokenizer, train_cfg, ckpt_dir,
                       data.vocab, device=args.device, resume=args.resume,
                       command=command_line(args))
    minutes = sum(h["seconds"] for h in state.history) / 60  # all runs, resumes included
    decode = DecodeConfig(beam_size=train_cfg.final_beam_size,
                          length_penalty=train_cfg.length_penalty, max_len_a=args.max_len_a,
                          max_len_b=args.max_len_b,
                          min_len_a=getattr(args, "min_len_a", 0.0))
    metrics, hyps = evaluate_examples(model, data.dev, data.tokenizer, data.vocab, decode=decode,
                                      device=args.device, progress=True)
    if data.vocab_role == "source":  # gloss input: the copy baseline, same lines, same run
        metrics["copy_baseline"] = copy_baseline_metrics(data.dev)
    metrics.update(split="dev", training_minutes=round(minutes, 1), epochs=state.epoch,
                   best_epoch=state.best_epoch, select_metric=args.select_metric,
                   best_dev_score_greedy=state.best_score)
    if train_cfg.average_last:  # the weights are the mean of these epochs', not the best's
        metrics["averaged_epochs"] = [int(p.stem.split("-")[1]) for p in epoch_weight_files(
            ckpt_dir, state.epoch)[-train_cfg.average_last:]]
    if data.extra_eval is not None:
        metrics.update(data.extra_eval(model))
    (ckpt_dir / "dev_hypotheses.txt").write_text("\n".join(hyps) + "\n")
    card = model_card(args, data, model, metrics, state, minutes)
    return write_translation_bundle(
        args.out, model=model, tokenizer=data.tokenizer, vocab=data.vocab, name=args.name,
        language=args.language, metrics=metrics, card=card, task=data.task,
        extra_config={"train": train_cfg.to_dict(), "gloss_vocab_role": data.vocab_role,
                      "decode": decode.to_dict(),
                      **data.extra_config},
    )


def write_translation_bundle(
    out: str | Path, *, model: Seq2Seq, tokenizer: TextTokenizer, vocab: GlossVocab,
    name: str, language: str, metrics: dict[str, Any], card: str,
    extra_config: dict[str, Any] | None = None, task: str = "translation",
    weights_dtype: torch.dtype | None = None,
    extra_weights: dict[str, torch.Tensor] | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write `model` as a translation (or fingerspelling) bundle (config, safetensors,
    spm.model, glosses.txt); an Ensemble is written with `ensemble: N` and its members'
    weights under `members.I.`. `weights_dtype` (e.g. torch.float16) stores the floating-point
    weights narrower; they are widened to the model's float32 when loaded.
    `extra_weights` and `extra_files` travel with it (a reranker's reverse model:
    translation.ml.rerank)."""
    from mlcore.bundle import write_bundle

    config = {"model": model.cfg.to_dict(), **(extra_config or {})}
    members = len(model.members) if isinstance(model, Ensemble) else 1
    if members > 1:
        config["ensemble"] = members
    state_dict = stored_state(model.state_dict(), model.cfg.tie_embeddings,
                              member_prefixes(members))
    state_dict.update(extra_weights or {})
    if weights_dtype is not None:
        state_dict = {k: v.to(weights_dtype) if v.is_floating_point() else v
                      for k, v in state_dict.items()}
    return write_bundle(
        out, task=task, language=language, name=name, config=config,
        state_dict=state_dict, metrics=metrics, card=card, vocabulary=vocab.glosses,
        spm_model=tokenizer.model_path, extra_files=extra_files,
    )


def read_gloss_lines(path: str | Path) -> list[str]:
    """Input lines of translate-text; '-' reads stdin."""
    if str(path) == "-":
        return split_lines(sys.stdin.buffer.read().decode("utf-8", errors="replace"))
    return read_lines(path)
