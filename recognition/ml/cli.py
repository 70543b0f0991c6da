"""`slrweb train-isolated`, `slrweb evaluate-isolated` and `slrweb recognize`.

Heavy imports (torch, numpy, mediapipe) happen inside the handlers so `slrweb --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from landmarks import JOB_SAMPLE_FPS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BUNDLE = REPO_ROOT / "models" / "silfa-letters"
FORMATS = ("asl-npz", "gislr", "pose", "npz-dir", "frames")

# flag dest -> (config section, field); only flags given on the command line override.
OVERRIDES = {
    "epochs": ("train", "epochs"), "steps_per_epoch": ("train", "steps_per_epoch"),
    "batch_size": ("train", "batch_size"), "lr": ("train", "lr"), "seed": ("train", "seed"),
    "split": ("train", "split"), "clip_max": ("train", "clip_max"),
    "val_block": ("train", "val_block"), "test_block": ("train", "test_block"),
    "d_model": ("model", "d_model"), "layers": ("model", "n_layers"),
    "heads": ("model", "n_heads"), "cross_modal": ("model", "cross_modal"),
    "cross_modal_heads": ("model", "cross_modal_heads"), "velocity": ("model", "velocity"),
    "dominant_hand": ("features", "dominant_hand"),
    "hand_location": ("features", "hand_location"), "mirror_prob": ("augment", "mirror"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the isolated-recognition subcommands to the slrweb parser."""
    _register_train(subparsers)
    ev = subparsers.add_parser("evaluate-isolated", help="evaluate an isolated-sign bundle")
    ev.add_argument("--model", required=True, help="bundle folder")
    _data_args(ev)
    ev.add_argument("--split-part", choices=("train", "val", "test", "all"), default="test",
                    help="which part of the bundle's own split to score (default test)")
    ev.add_argument("--clip-len", type=int,
                    help="frames per evaluation clip (default: the bundle's first eval length)")
    ev.add_argument("--out", type=Path, help="folder for metrics.json and confusion.png")
    ev.add_argument("--vocabulary", type=Path,
                    help="enrolled vocabulary (slrweb enroll) of an embedding --model: nearest "
                         "class mean on every person who is neither a reference nor trained on")
    ev.set_defaults(func=evaluate_command)
    _register_enroll(subparsers)
    rec = subparsers.add_parser("recognize", help="spot isolated signs in a video")
    rec.add_argument("video", type=Path)
    rec.add_argument("--model", type=Path, help=f"bundle folder (default {DEFAULT_BUNDLE})")
    rec.add_argument("--top-k", type=int, default=5)
    rec.add_argument("--fps", type=float, default=float(JOB_SAMPLE_FPS),
                     help="frames per second read from the video, as jobs do (0: every frame); "
                          "see bench/RESULTS.md, frame sampling")
    rec.add_argument("--json", action="store_true", help="print the result as JSON")
    rec.set_defaults(func=recognize_command)


def _data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-format", choices=FORMATS, required=True)
    parser.add_argument("--data", type=Path, required=True, help="data file or folder")
    parser.add_argument("--no-source-mirror", dest="source_mirror", action="store_false",
                        help="asl-npz: keep x as stored (its images are selfie-mirrored)")
    parser.add_argument("--alias", action="append", metavar="FROM=TO",
                        help="read data label FROM as TO (added to the bundle's aliases)")


def _register_train(subparsers: argparse._SubParsersAction) -> None:
    tr = subparsers.add_parser("train-isolated", help="train an isolated-sign bundle")
    tr.add_argument("--config", type=Path, help="JSON config (IsolatedConfig.to_dict layout)")
    _data_args(tr)
    tr.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    tr.add_argument("--name", help="bundle name (default: the --out folder name)")
    tr.add_argument("--language", help="ISO 639-3 sign language code, e.g. ase")
    tr.add_argument("--parts", help="comma-separated parts, e.g. pose,face,left_hand,right_hand")
    tr.add_argument("--checkpoint-dir", type=Path, help="default var/train/<name>")
    tr.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    tr.add_argument("--device", default="auto", help="auto, cpu or cuda (AMP on CUDA)")
    tr.add_argument("--threads", type=int, help="torch CPU threads (1 on a busy machine)")
    tr.add_argument("--ablate", action="store_true",
                    help="also train cross-modal/velocity on-off variants for the model card")
    tr.add_argument("--extra-eval", action="append", metavar="FORMAT:PATH",
                    help="also score on this data set (never trained on), e.g. another signer")
    tr.add_argument("--card-notes", type=Path, help="markdown (data, licence) for the card")
    tr.add_argument("--add-data", action="append", metavar="FORMAT:PATH",
                    help="another training data set; its participants join the split")
    tr.add_argument("--cv", action="store_true",
                    help="split participants: also k-fold by participant (n_blocks folds)")
    for flag, kind in (("epochs", int), ("steps-per-epoch", int), ("batch-size", int),
                       ("lr", float), ("seed", int), ("d-model", int), ("layers", int),
                       ("heads", int), ("cross-modal-heads", int), ("clip-max", int),
                       ("mirror-prob", float), ("val-block", int), ("test-block", int)):
        tr.add_argument(f"--{flag}", type=kind)
    tr.add_argument("--split", choices=("blocks", "sequences", "none"))
    for flag in ("cross-modal", "velocity", "dominant-hand", "hand-location"):
        tr.add_argument(f"--{flag}", action=argparse.BooleanOptionalAction)
    tr.set_defaults(func=train_command, command_parser=tr)


def build_config(args: argparse.Namespace) -> Any:
    """Config file (if any) overridden by the flags that were given."""
    from recognition.ml.config import IsolatedConfig

    data: dict[str, Any] = json.loads(args.config.read_text()) if args.config else {}
    for dest, (section, field) in OVERRIDES.items():
        value = getattr(args, dest, None)
        if value is not None:
            data.setdefault(section, {})[field] = value
    if args.parts:
        data.setdefault("features", {})["parts"] = args.parts.split(",")
    data["name"] = args.name or data.get("name") or args.out.name
    if args.language:
        data["language"] = args.language
    if args.alias:
        from recognition.ml.participants import parse_aliases

        data["aliases"] = {**data.get("aliases", {}), **parse_aliases(args.alias)}
    return IsolatedConfig.from_dict(data)


def _load(args: argparse.Namespace, hand_recovery: bool = False,
          recoded: tuple[str, ...] = ()) -> list:
    from recognition.ml.data import load_asl_npz, load_runs

    if args.data_format == "asl-npz":
        return load_asl_npz(args.data, mirror=args.source_mirror)
    return load_runs(args.data_format, args.data, hand_recovery=hand_recovery, recoded=recoded)


def train_command(args: argparse.Namespace) -> int:
    """Train, evaluate against the baseline, write the bundle; prints the test summary."""
    from mlcore.bundle import write_bundle
    from recognition.ml.card import render_card
    from recognition.ml.data import load_runs
    from recognition.ml.train import train_isolated

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = build_config(args)
    runs = _load(args, cfg.features.hand_recovery, cfg.train.recoded)
    if args.add_data:
        from recognition.ml.participants import load_sources

        added = [(fmt, path) for fmt, _, path in (s.partition(":") for s in args.add_data)]
        runs = load_sources([(args.data_format, str(args.data)), *added])
    ckpt_dir = args.checkpoint_dir or REPO_ROOT / "var" / "train" / cfg.name
    extra = {}
    for spec in args.extra_eval or []:
        fmt, _, path = spec.partition(":")
        extra[f"{fmt}:{_display_path(Path(path))}"] = load_runs(fmt, path)
    cfg, result, vocab, metrics = train_isolated(
        cfg, runs, device=args.device, checkpoint_dir=ckpt_dir, resume=args.resume,
        ablate=args.ablate, log=lambda line: print(line, file=sys.stderr), extra_eval=extra,
        cross_validation=args.cv)
    command = command_line(args)
    paths = [args.data, *(Path(s.partition(":")[2]) for s in args.add_data or [])]
    originals = [r for r in runs if not r.augmented]
    data_info = {"format": args.data_format, "path": ", ".join(map(_display_path, paths)),
                 "runs": len(originals), "frames": int(sum(len(r) for r in originals))}
    if cfg.train.recoded:
        data_info["recoded"] = list(cfg.train.recoded)
    metrics["data"] = data_info
    metrics["command"] = command
    notes = args.card_notes.read_text() if args.card_notes else ""
    write_bundle(args.out, task="isolated", language=cfg.language, name=cfg.name,
                 config=cfg.to_dict(), state_dict=result.model.state_dict(), metrics=metrics,
                 card=render_card(cfg, vocab, metrics, notes), vocabulary=vocab)
    summary = {"bundle": str(args.out), "test": _short(metrics["test"]),
               "baseline": _short(metrics["baseline"])}
    print(json.dumps(summary, indent=2))
    return 0


def command_line(args: argparse.Namespace) -> str:
    """The command as it was given (flags left at their defaults are omitted), from the parsed
    arguments, so it is exact whether the handler ran from the shell or from slrweb.cli.main."""
    parser: argparse.ArgumentParser = args.command_parser
    words = ["slrweb", parser.prog.split()[-1]]
    for action in parser._actions:
        value = getattr(args, action.dest, None)
        if not action.option_strings or value == action.default or action.dest == "help":
            continue
        flag = action.option_strings[0]
        if isinstance(action, argparse._AppendAction):
            words += [w for item in value or [] for w in (flag, str(item))]
        elif isinstance(action, argparse.BooleanOptionalAction):
            words.append(flag if value else f"--no-{flag[2:]}")
        elif isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            words.append(flag)
        else:
            words += [flag, str(value)]
    return shlex.join(words)


def _short(section: dict[str, Any]) -> dict[str, Any]:
    return {k: {m: v[m] for m in ("n", "top1", "top5")} for k, v in section.items()
            if isinstance(v, dict)}


def _display_path(path: Path) -> str:
    """Data paths relative to the repository's parent (../shared/...), never absolute."""
    try:
        return os.path.relpath(path.resolve(), REPO_ROOT)
    except ValueError:
        return str(path)


def _register_enroll(subparsers: argparse._SubParsersAction) -> None:
    en = subparsers.add_parser("enroll", help="embed K reference clips per sign (no retraining)")
    en.add_argument("--model", required=True, type=Path, help="embedding bundle folder")
    _data_args(en)
    en.add_argument("--shots", type=int, default=5, help="reference clips per sign (default 5)")
    en.add_argument("--out", type=Path, required=True, help="vocabulary folder to write")
    en.add_argument("--seed", type=int, default=0)
    en.add_argument("--participants", help="comma-separated: draw references only from these")
    en.add_argument("--include-training-people", action="store_true",
                    help="allow references from people the embedding was trained on")
    en.set_defaults(func=enroll_command)


def enroll_command(args: argparse.Namespace) -> int:
    """Write VOCAB_DIR: reference embeddings, class means, threshold, clips and people used."""
    from recognition.ml.embedding import embed_runs, load_embedder
    from recognition.ml.enroll import build_vocabulary, choose_references
    from recognition.ml.participants import prepare_for_config

    model, cfg, info = load_embedder(args.model)
    runs = prepare_for_config(_load(args, cfg.features.hand_recovery), cfg)
    if args.participants:
        runs = [r for r in runs if r.participant in set(args.participants.split(","))]
    trained = set() if args.include_training_people else set(info.get("train_participants", []))
    refs = choose_references(runs, args.shots, args.seed, exclude=trained)
    vocab = build_vocabulary(embed_runs(model, cfg, refs), refs, model=cfg.name)
    vocab.save(args.out)
    print(json.dumps({"vocabulary": str(args.out), "glosses": vocab.glosses,
                      "threshold": vocab.threshold,
                      "participants": sorted({r.participant for r in refs})}, indent=2))
    return 0


def evaluate_vocabulary(args: argparse.Namespace) -> int:
    """evaluate-isolated --vocabulary: queries from people who are neither references nor in
    the embedding's training; top-1 by nearest class mean, unknown-sign rate reported."""
    import numpy as np

    from recognition.ml.embedding import embed_runs, load_embedder
    from recognition.ml.enroll import Vocabulary, nearest_mean
    from recognition.ml.evaluate import classification_metrics, per_participant

    model, cfg, info = load_embedder(args.model)
    vocab = Vocabulary.load(args.vocabulary)
    excluded = {c["participant"] for c in vocab.clips} | set(info.get("train_participants", []))
    from recognition.ml.participants import prepare_for_config

    runs = [r for r in prepare_for_config(_load(args, cfg.features.hand_recovery), cfg)
            if r.participant not in excluded]
    known = [r for r in runs if r.label in vocab.glosses]
    if not known:
        print("no query clips: every person here is a reference or was trained on",
              file=sys.stderr)
        return 1
    sims, best = nearest_mean(embed_runs(model, cfg, known), vocab.means)
    labels = np.array([vocab.glosses.index(r.label) for r in known], dtype=int)
    metrics = classification_metrics(sims, labels, vocab.glosses)
    preds = [{"id": r.ids[0], "participant": r.participant, "label": r.label,
              "predicted": vocab.glosses[b], "similarity": round(float(s.max()), 4)}
             for r, b, s in zip(known, best, sims, strict=True)]
    metrics.update(model=cfg.name, vocabulary=str(args.vocabulary), predictions=preds,
                   per_participant=per_participant(preds),
                   unknown_rate=round(float((sims.max(axis=1) < vocab.threshold).mean()), 4),
                   out_of_vocabulary=len(runs) - len(known),
                   excluded_participants=sorted(excluded),
                   data={"format": args.data_format, "path": _display_path(args.data)})
    print(json.dumps({k: metrics[k] for k in ("n", "top1", "per_class", "unknown_rate",
                                               "out_of_vocabulary")}, indent=2))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    """Score a bundle on (a split of) a data set; writes metrics.json and confusion.png.

    The bundle's label aliases (plus --alias) and clip preparation apply as in training; labels
    outside its vocabulary are counted in out_of_vocabulary, not scored."""
    import dataclasses

    if getattr(args, "vocabulary", None):
        return evaluate_vocabulary(args)
    from mlcore.bundle import read_bundle
    from recognition.ml.data import split_runs
    from recognition.ml.evaluate import evaluate_runs, save_confusion_png, summarize
    from recognition.ml.infer import IsolatedPredictor
    from recognition.ml.participants import parse_aliases, prepare_for_config

    predictor = IsolatedPredictor.from_bundle(args.model)
    cfg = predictor.config
    cfg = dataclasses.replace(cfg, aliases={**cfg.aliases, **parse_aliases(args.alias or [])})
    runs = prepare_for_config(_load(args, cfg.features.hand_recovery), cfg)
    # A participant split's groups depend on every person of the training data: use the
    # bundle's own record of who was in each part (other data sets have other people).
    people = read_bundle(args.model).metrics.get("participants", {}).get(args.split_part)
    if people is not None:
        runs = [r for r in runs if r.participant in set(people)]
    elif args.split_part != "all":
        runs = split_runs(runs, cfg.train)[args.split_part]
    vocab = predictor.vocabulary
    clip_len = args.clip_len or cfg.train.eval_clip_lens[0]
    metrics = evaluate_runs(predictor.model, runs, vocab, cfg.features, clip_len,
                            predictor.device)
    metrics["skipped_labels"] = sorted(metrics["out_of_vocabulary_labels"])
    metrics.update(model=predictor.name, split_part=args.split_part, clip_len=clip_len,
                   aliases=cfg.aliases, data={"format": args.data_format,
                                              "path": _display_path(args.data)})
    print(json.dumps({**summarize(metrics), "per_class": metrics["per_class"]}, indent=2))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        png = save_confusion_png(metrics["confusion"], vocab, args.out / "confusion.png",
                                 title=f"{predictor.name} ({args.split_part}, top-1 "
                                       f"{metrics['top1']:.3f})")
        print(f"wrote {args.out / 'metrics.json'} and {png}", file=sys.stderr)
    return 0


def recognize_command(args: argparse.Namespace) -> int:
    """Extract landmarks from a video and print the spotted signs."""
    from landmarks.extract import extract_landmarks
    from recognition.ml.infer import IsolatedPredictor

    predictor = IsolatedPredictor.from_bundle(
        args.model or os.environ.get("SLRWEB_ISOLATED_MODEL") or DEFAULT_BUNDLE)
    sequence = extract_landmarks(args.video, sample_fps=args.fps or None,
                                 hand_recovery=predictor.config.features.hand_recovery)
    result = predictor.recognize(sequence, top_k=args.top_k)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for seg in result["segments"]:
            best = seg["topk"][0]
            print(f"{seg['start']:7.2f}-{seg['end']:7.2f}s  {best['gloss']}  {best['prob']:.2f}")
    return 0
