"""`slrweb` subcommands of the translator: train-spm, train-translation, evaluate-translation,
ensemble-translation, speller-bundle, translate-text. Heavy imports happen inside the handlers
so that `slrweb --help` stays fast."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

PHOENIX_LICENCE = (
    "Research use only. Trained on RWTH-PHOENIX-Weather 2014 T (Koller et al. 2015; Camgoz et al. "
    "2018), treated as CC BY-NC-SA 3.0: non-commercial use, attribution, share alike."
)


def register(subparsers: Any) -> None:
    """Add the translator's subcommands to the `slrweb` parser."""
    p = subparsers.add_parser("train-spm", help="train a SentencePiece model on a text file")
    p.add_argument("--input", required=True, help="text file, one sentence per line")
    p.add_argument("--model-prefix", required=True, help="writes PREFIX.model and PREFIX.vocab")
    p.add_argument("--vocab-size", type=int, default=3000)
    p.add_argument("--model-type", choices=["unigram", "bpe", "char"], default="unigram")
    p.set_defaults(func=cmd_train_spm)

    p = subparsers.add_parser("train-translation", help="train an encoder-decoder translator")
    _add_train_arguments(p)
    p.set_defaults(func=cmd_train_translation)

    p = subparsers.add_parser("evaluate-translation",
                              help="BLEU-4/chrF (+CTC gloss WER, CER) of a bundle on a test set")
    p.add_argument("--model", required=True, help="bundle folder")
    p.add_argument("--src", help="gloss file (gloss bundles)")
    p.add_argument("--ref", help="reference text file, line-aligned with --src")
    _add_fingerspelling_arguments(p)
    p.add_argument("--beam", type=int, default=None, help="beam size (bundle's default)")
    p.add_argument("--alpha", type=float, default=None, help="length penalty (bundle's default)")
    p.add_argument("--min-len-a", type=float, default=None,
                   help="no eos before A x source length pieces (bundle's default)")
    p.add_argument("--rerank-weight", type=float, default=None,
                   help="weight of the bundle's reverse model in reranking the beam (bundle's "
                        "default; 0 = the beam's own choice)")
    p.add_argument("--hyp-out", help="also write the hypotheses here")
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=cmd_evaluate_translation)

    p = subparsers.add_parser(
        "ensemble-translation",
        help="join translation bundles of one architecture, tokenizer and vocabulary into one "
             "bundle that decodes with their mean next-piece probability")
    p.add_argument("--members", nargs="+", required=True,
                   help="member bundle folders; the first gives decoding settings and metadata")
    p.add_argument("--out", required=True, help="bundle folder to write")
    p.add_argument("--name", help="bundle name (default: the first member's)")
    p.add_argument("--language", help="sign language code (default: the first member's)")
    p.add_argument("--weights-dtype", choices=["float32", "float16"], default="float32",
                   help="storage of the weights (float16 halves the bundle; decoding is float32)")
    p.add_argument("--dev-src", help="gloss file to score the ensemble on (with --dev-ref)")
    p.add_argument("--dev-ref", help="reference text, line-aligned with --dev-src")
    p.add_argument("--card-note", default="", help="extra paragraph for the card's Notes")
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=cmd_ensemble_translation)

    p = subparsers.add_parser(
        "rerank-translation",
        help="a gloss->text bundle that reranks its beam with a text->gloss bundle inside it "
             "(noisy channel, translation.ml.rerank)")
    p.add_argument("--model", required=True, help="the gloss->text bundle")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--reverse",
                       help="a text->gloss bundle trained on the same pairs the other way round")
    which.add_argument("--reverse-of",
                       help="a reranked gloss->text bundle whose reverse model is reused (e.g. "
                            "the one --model was trained further from)")
    p.add_argument("--weight", type=float, required=True,
                   help="weight of the reverse log-probability per gloss piece")
    p.add_argument("--out", required=True, help="bundle folder to write")
    p.add_argument("--dev-src", help="gloss file to score on, with and without reranking")
    p.add_argument("--dev-ref", help="reference text, line-aligned with --dev-src")
    p.add_argument("--card-note", default="", help="extra paragraph for the card")
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=cmd_rerank_translation)

    p = subparsers.add_parser(
        "speller-bundle",
        help="a fingerspelling bundle that reads letters by spotting them with an isolated "
             "letters bundle (translation.ml.letterspeller)")
    p.add_argument("--letters", required=True, help="isolated letters bundle folder")
    p.add_argument("--out", required=True, help="bundle folder to write")
    p.add_argument("--name", required=True, help="bundle name, e.g. fingerspelling-ase-text")
    p.add_argument("--pause-seconds", type=float, default=None,
                   help="a gap between letters at least this long is a word space (default: "
                        "translation.ml.letterspeller.SpellerConfig)")
    p.add_argument("--fps", type=float, default=None,
                   help="spotting.fps: the rate the letters were trained at, slower clips are "
                        "upsampled to it (default: the letters bundle's; 0: never)")
    p.add_argument("--measured", action="append", default=[],
                   help="bench/bench_speller_readers.py --out report for the card (repeatable)")
    p.add_argument("--card-note", default="", help="extra paragraph for the card's Notes")
    p.set_defaults(func=cmd_speller_bundle)

    p = subparsers.add_parser("translate-text",
                              help="translate gloss lines: one output line per input line")
    p.add_argument("--model", required=True, help="gloss->text bundle folder")
    p.add_argument("--input", required=True, help="gloss file, one sentence per line ('-' = stdin)")
    p.add_argument("--beam", type=int, default=None, help="beam size (bundle's default)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_translate_text)


def _add_fingerspelling_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("landmarks input (synthetic continuous fingerspelling)")
    g.add_argument("--isolated-dir", help="folder with asl_alphabet_hands/ and silfa_fingerspelling/")
    g.add_argument("--words", help="word list, one word per line (default: the bundled list)")
    g.add_argument("--heldout-fraction", type=float, default=0.15,
                   help="share of words never used in training (the CER test set)")
    g.add_argument("--sequences-per-epoch", type=int, default=4000)
    g.add_argument("--dev-sequences", type=int, default=400,
                   help="dev sequences (training) and the minimum held-out test sequences")
    g.add_argument("--max-phrase-words", type=int, default=3,
                   help="training phrases of 1..N words spelled in a row with pauses")
    g.add_argument("--long-sequences", type=int, default=100,
                   help="held-out phrases of six words (long-input CER, windowed reader)")
    g.add_argument("--init-from", help="start from this bundle's weights (gloss and piece rows "
                   "by their gloss or piece, other tensors where shapes agree)")
    g.add_argument("--letter-video",
                   help="npz of the SILFA letter videos as MediaPipe reads them "
                        "(bench/fingerspelling_clips.py --write-letters): one more recording")
    g.add_argument("--clip-prob", type=float, default=0.5,
                   help="with --letter-video: share of phrases spelled from its letter clips")
    g.add_argument("--synth-noise", type=float, default=None,
                   help="per-frame landmark jitter of the synthetic phrases, in palm sizes "
                        "(default: translation.ml.fingerspell.SynthesisConfig.noise, 0.04)")
    g.add_argument("--all-silfa", action="store_true",
                   help="train on every SILFA frame, held-out blocks too (final retrain)")


def _add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input-kind", choices=["gloss", "landmarks"], default="gloss")
    p.add_argument("--out", required=True, help="bundle folder to write")
    p.add_argument("--name", required=True, help="bundle name, e.g. phoenix-gloss2text")
    p.add_argument("--language", default="dgs", help="sign language code of the bundle")
    p.add_argument("--licence", default=PHOENIX_LICENCE, help="licence paragraph of the card")
    p.add_argument("--card-note", default="", help="extra paragraph for the card's Notes")
    g = p.add_argument_group("gloss input (line-aligned files)")
    for split in ("train", "dev"):
        g.add_argument(f"--{split}-src", help=f"{split} glosses, one sentence per line")
        g.add_argument(f"--{split}-tgt", help=f"{split} text, line-aligned")
    g.add_argument("--min-gloss-freq", type=int, default=1)
    g.add_argument("--gloss-normalizer", choices=["asl"], default=None,
                   help="normalise gloss spellings first (asl: NCSLGR/BOSTON-104 conventions)")
    g.add_argument("--pseudo-gloss-pairs", action="store_true",
                   help="add (rule-based pseudo-glosses of each training sentence, sentence) pairs")
    g.add_argument("--unk-dropout", type=float, default=0.0,
                   help="replace each training gloss by <unk> with this probability, per epoch")
    _add_fingerspelling_arguments(p)
    g = p.add_argument_group("tokenizer")
    g.add_argument("--spm-model", help="existing SentencePiece model (else one is trained)")
    g.add_argument("--spm-vocab-size", type=int, default=3000)
    g.add_argument("--spm-type", choices=["unigram", "bpe", "char"], default="unigram")
    g = p.add_argument_group("model")
    for flag, typ, default in [("--d-model", int, 256), ("--heads", int, 4),
                               ("--enc-layers", int, 3), ("--dec-layers", int, 3),
                               ("--d-ff", int, 1024), ("--dropout", float, 0.3),
                               ("--attn-dropout", float, 0.1), ("--label-smoothing", float, 0.1),
                               ("--ctc-weight", float, 0.0), ("--max-tgt-len", int, 128)]:
        g.add_argument(flag, type=typ, default=default)
    g.add_argument("--post-norm", action="store_true", help="post-LayerNorm (default pre-LN)")
    g.add_argument("--velocity", action="store_true", help="add frame-to-frame velocity")
    g.add_argument("--share-gloss-text", action="store_true",
                   help="gloss input: add the target embedding of the word each gloss names")
    g = p.add_argument_group("training")
    for flag, typ, default in [("--epochs", int, 60), ("--batch-size", int, 64),
                               ("--lr", float, 5e-4), ("--warmup", int, 800),
                               ("--weight-decay", float, 0.0), ("--patience", int, 8),
                               ("--eval-every", int, 1), ("--beam", int, 4),
                               ("--alpha", float, 1.0), ("--seed", int, 1),
                               ("--threads", int, 1), ("--max-minutes", float, 0.0),
                               ("--plateau-factor", float, 1.0), ("--max-len-a", float, 0.0),
                               ("--max-len-b", int, 0), ("--min-len-a", float, 0.0)]:
        g.add_argument(flag, type=typ, default=default)
    g.add_argument("--select-metric", choices=["bleu4", "cer"], default="bleu4",
                   help="dev metric for early stopping and the kept checkpoint")
    g.add_argument("--schedule", choices=["inverse_sqrt", "constant"], default="inverse_sqrt",
                   help="learning rate after warm-up: inverse square-root decay or constant")
    g.add_argument("--average-last", type=int, default=0, metavar="K",
                   help="write the average of the last K epochs' weights (kept beside the "
                        "checkpoint) instead of the best epoch's; with --init-from the starting "
                        "weights count as epoch 0; 0 = off")
    g.add_argument("--device", default="auto", type=_device,
                   help="auto (CUDA when present), cpu or cuda; AMP on CUDA")
    g.add_argument("--checkpoint-dir", help="default tmp/translation-runs/NAME")
    g.add_argument("--resume", action="store_true", help="continue from CHECKPOINT_DIR/last.pt")


def _device(requested: str) -> str:
    # A type, not a default: argparse converts the default only after parsing, so `--help`
    # never imports torch.
    from mlcore.device import choose_device

    return choose_device(requested)


def cmd_train_spm(args: argparse.Namespace) -> int:
    from translation.ml.tokenizer import TextTokenizer, train_spm

    path = train_spm(Path(args.input), args.model_prefix, args.vocab_size, args.model_type)
    print(f"{path}: {len(TextTokenizer(path))} pieces")
    return 0


def cmd_train_translation(args: argparse.Namespace) -> int:
    from translation.ml.pipeline import prepare_gloss_data, run_training

    work_dir = Path(args.checkpoint_dir or Path("tmp") / "translation-runs" / args.name)
    work_dir.mkdir(parents=True, exist_ok=True)
    if args.input_kind == "gloss":
        missing = [f for f in ("train_src", "train_tgt", "dev_src", "dev_tgt")
                   if not getattr(args, f)]
        if missing:
            print(f"gloss input needs --{', --'.join(m.replace('_', '-') for m in missing)}",
                  file=sys.stderr)
            return 2
        data = prepare_gloss_data(args, work_dir)
    else:
        from translation.ml.fingerspell import prepare_fingerspelling_data

        if not args.isolated_dir:
            print("landmarks input needs --isolated-dir", file=sys.stderr)
            return 2
        data = prepare_fingerspelling_data(args, work_dir)
    out = run_training(args, data)
    print(json.dumps(json.loads((out / "metrics.json").read_text()), indent=2))
    return 0


def cmd_evaluate_translation(args: argparse.Namespace) -> int:
    import torch

    from translation.ml.evaluate import evaluate_examples, evaluate_gloss_files
    from translation.ml.infer import TranslationPredictor

    torch.set_num_threads(args.threads)
    predictor = TranslationPredictor.from_bundle(args.model)
    settings = predictor.decode_settings(args.beam, args.alpha, args.min_len_a,
                                         args.rerank_weight)
    if predictor.input_kind == "gloss":
        if not (args.src and args.ref):
            print("a gloss bundle needs --src and --ref", file=sys.stderr)
            return 2
        metrics, hyps = evaluate_gloss_files(predictor, args.src, args.ref, settings)
    else:
        from translation.ml.fingerspell import heldout_examples

        if not args.isolated_dir:
            print("a landmarks bundle needs --isolated-dir", file=sys.stderr)
            return 2
        examples = heldout_examples(args, predictor.tokenizer, predictor.vocab)
        if predictor.config.get("reader"):  # read as jobs read it: CTC letters in windows
            from translation.ml.fingerspell import heldout_metrics

            print(json.dumps(heldout_metrics(predictor.single_model, examples, predictor.tokenizer,
                                             predictor.vocab, predictor.config["reader"]),
                             indent=2))
            return 0
        metrics, hyps = evaluate_examples(predictor.model, examples, predictor.tokenizer,
                                          predictor.vocab, decode=settings, progress=True,
                                          reranker=predictor.reranker)
    if args.hyp_out:
        Path(args.hyp_out).write_text("\n".join(hyps) + "\n")
    print(json.dumps(metrics, indent=2))
    return 0


def cmd_speller_bundle(args: argparse.Namespace) -> int:
    from mlcore.bundle import BundleError, read_bundle
    from translation.ml.letterspeller import (
        SpellerConfig,
        speller_card,
        speller_config,
        write_speller_bundle,
    )
    from translation.ml.pipeline import command_line

    measured = [json.loads(Path(m).read_text()) for m in args.measured]
    pause = {} if args.pause_seconds is None else {"pause_seconds": args.pause_seconds}
    try:
        source = read_bundle(args.letters)
        settings = SpellerConfig.from_dict({**pause, "source": source.name})
        config = speller_config(source, settings, args.name, args.fps)
    except BundleError as e:
        print(f"speller-bundle: {e}", file=sys.stderr)
        return 2
    card = speller_card(source, config, measured, command_line(args), args.card_note)
    metrics: dict[str, Any] = {"letters_bundle": source.name, "letters_metrics": source.metrics}
    if measured:
        metrics["real_clips"] = [
            {"clips": m["clips"], "pause_frames": m.get("pause_frames", 0),
             "references": m["references"], "held_out_by": m["letters_held_out_by"],
             "cer": {reader: {k: v for k, v in r.items() if k != "readings"}
                     for reader, r in m["readers"].items()}} for m in measured]
    out = write_speller_bundle(source, args.out, config=config, card=card, metrics=metrics)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def cmd_ensemble_translation(args: argparse.Namespace) -> int:
    import torch

    from mlcore.bundle import BundleError
    from translation.ml.ensemble import assemble, ensemble_card
    from translation.ml.infer import TranslationPredictor
    from translation.ml.pipeline import command_line, write_translation_bundle
    from translation.ml.tokenizer import GlossVocab, TextTokenizer

    torch.set_num_threads(args.threads)
    try:
        joined = assemble(args.members)
    except BundleError as e:
        print(f"ensemble-translation: {e}", file=sys.stderr)
        return 2
    first = joined.first
    tokenizer, vocab = TextTokenizer(first.spm_path), GlossVocab(first.vocabulary)
    metrics: dict[str, Any] = {"members": [
        {"bundle": str(path), "name": b.name, "dev_bleu4": b.metrics.get("bleu4"),
         "dev_chrf": b.metrics.get("chrf")} for path, b in zip(args.members, joined.members,
                                                                strict=True)]}
    if args.dev_src and args.dev_ref:
        from translation.ml.evaluate import evaluate_gloss_files

        predictor = TranslationPredictor(joined.model, tokenizer, vocab, first.name,
                                         first.config)
        scored, _ = evaluate_gloss_files(predictor, args.dev_src, args.dev_ref)
        metrics.update(scored, split="dev")
    name = args.name or first.name
    card = ensemble_card(name, args.language or first.language, metrics, first,
                         command_line(args), args.card_note)
    extra = {k: v for k, v in first.config.items() if k not in ("model", "ensemble")}
    out = write_translation_bundle(
        args.out, model=joined.model, tokenizer=tokenizer, vocab=vocab, name=name,
        language=args.language or first.language, metrics=metrics, card=card,
        extra_config=extra, task=first.task,
        weights_dtype=torch.float16 if args.weights_dtype == "float16" else None)
    print(json.dumps({k: v for k, v in metrics.items() if "detail" not in k}, indent=2))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def cmd_rerank_translation(args: argparse.Namespace) -> int:
    import torch

    from mlcore.bundle import BundleError, read_bundle
    from translation.ml.infer import TranslationPredictor
    from translation.ml.pipeline import command_line
    from translation.ml.rerank import attach, carried_reverse, joined, rerank_card

    torch.set_num_threads(args.threads)
    try:
        forward = TranslationPredictor.from_bundle(args.model)
        if args.reverse:
            reverse = TranslationPredictor.from_bundle(args.reverse)
            about = {"bundle": args.reverse, "name": reverse.name,
                     "dev_bleu4": read_bundle(args.reverse).metrics.get("bleu4")}
        else:
            reverse = carried_reverse(TranslationPredictor.from_bundle(args.reverse_of))
            about = {**read_bundle(args.reverse_of).metrics.get("reverse", {}),
                     "carried_by": args.reverse_of}
        predictor = joined(forward, reverse, args.weight)
    except BundleError as e:
        print(f"rerank-translation: {e}", file=sys.stderr)
        return 2
    metrics: dict[str, Any] = {"reverse": about}
    if args.dev_src and args.dev_ref:
        from translation.ml.evaluate import evaluate_gloss_files

        scored, _ = evaluate_gloss_files(predictor, args.dev_src, args.dev_ref)
        plain, _ = evaluate_gloss_files(predictor, args.dev_src, args.dev_ref,
                                        predictor.decode_settings(rerank_weight=0.0))
        metrics.update(scored, split="dev", without_reranking={
            k: plain[k] for k in ("bleu4", "chrf", "bleu_signature", "chrf_signature")})
    source = read_bundle(args.model)
    card = rerank_card(source.card, metrics, predictor.decode, command_line(args), args.card_note)
    out = attach(predictor, args.out, language=source.language, metrics=metrics, card=card)
    print(json.dumps({k: v for k, v in metrics.items() if "detail" not in k}, indent=2))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def cmd_translate_text(args: argparse.Namespace) -> int:
    import torch

    from translation.ml.infer import TranslationPredictor
    from translation.ml.pipeline import read_gloss_lines

    torch.set_num_threads(args.threads)
    predictor = TranslationPredictor.from_bundle(args.model, device=args.device)
    lines = read_gloss_lines(args.input)
    outputs = predictor.translate_text(lines, args.beam, batch_size=args.batch_size,
                                       progress=True)
    # Exactly one output line per input line, whatever the model produced.
    sys.stdout.write("".join(" ".join(text.split()) + "\n" for text in outputs))
    sys.stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run these subcommands without the other packages: `python -m translation.ml.cli ...`."""
    parser = argparse.ArgumentParser(prog="slrweb")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # for the model card
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
