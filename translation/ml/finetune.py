"""Fine-tune a registered translator on corrected translations (`slrweb retrain --task
translation`): same architecture, tokenizer and gloss vocabulary as the bundle, its weights as
the start, a new bundle out.

Both input kinds: a landmarks bundle learns from (clip landmarks, corrected text, corrected
glosses) triples, the glosses feeding its CTC head where they are all in its vocabulary; a gloss
bundle learns from (corrected gloss line, corrected text) pairs. Pure ML: the corrections come
from the caller (corpus.retrain_translation reads them from the database).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from landmarks.sequence import LandmarkSequence
from translation.ml.config import TrainConfig
from translation.ml.data import Example, encode_gloss_pairs
from translation.ml.evaluate import evaluate_examples
from translation.ml.features import FEATURE_SET, sequence_features
from translation.ml.infer import TranslationPredictor
from translation.ml.pipeline import write_translation_bundle
from translation.ml.tokenizer import UNK_ID
from translation.ml.train import fit

OnEpoch = Callable[[int, int], None]  # (epochs done, epochs planned)


@dataclass
class Correction:
    """One corrected clip: its landmarks (None when not kept), glosses and text."""

    text: str
    glosses: list[str]
    sequence: LandmarkSequence | None = None


def examples_for(predictor: TranslationPredictor, corrections: Sequence[Correction]) -> list[Example]:
    """The corrections the bundle can learn from, encoded as it reads its input."""
    max_len = predictor.model.cfg.max_tgt_len
    if predictor.input_kind == "gloss":
        pairs = [(" ".join(c.glosses), c.text) for c in corrections if c.glosses]
        return encode_gloss_pairs(pairs, predictor.vocab, predictor.tokenizer, max_len,
                                  predictor.normalize)
    feature_set = predictor.config.get("features", {}).get("set", FEATURE_SET)
    out = []
    for c in corrections:
        if c.sequence is None or not c.text.strip():
            continue
        feats = sequence_features(c.sequence, feature_set)
        if len(feats) == 0:
            continue
        ctc = predictor.vocab.encode(c.glosses) if predictor.model.cfg.ctc_vocab_size else []
        out.append(Example(src=feats, tgt=predictor.tokenizer.encode(c.text)[:max_len],
                           ctc=[] if UNK_ID in ctc else ctc, text=c.text))
    return out


def finetune(
    bundle_path: str | Path, train: Sequence[Correction], dev: Sequence[Correction], out: Path,
    *, name: str, language: str, card: str, epochs: int = 10, lr: float = 1e-4,
    batch_size: int = 16, seed: int = 1, device: str = "cpu", on_epoch: OnEpoch | None = None,
    extra_metrics: dict[str, Any] | None = None,
) -> Path:
    """Train the bundle's model further on `train` (best epoch by `dev`, or the last without
    dev), write the result as a new bundle at `out` and return its folder."""
    predictor = TranslationPredictor.from_bundle(bundle_path, device=device)
    train_examples = examples_for(predictor, train)
    dev_examples = examples_for(predictor, dev)
    if not train_examples:
        raise ValueError("no corrected translation this model can learn from (a landmarks "
                         "model needs the clips' landmarks, a gloss model corrected glosses)")
    base_cfg = TrainConfig.from_dict(predictor.config.get("train") or {})
    select = base_cfg.select_metric if dev_examples else "bleu4"
    cfg = replace(base_cfg, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
                  warmup_steps=1, patience=max(epochs, 1), eval_every=1, max_minutes=0.0,
                  select_metric=select, plateau_factor=1.0)
    # Without a dev set every epoch is scored on the training examples: the last one wins.
    scored = dev_examples or train_examples
    model = predictor.model.train()
    model, state = fit(model, _counting(train_examples, epochs, on_epoch), scored,
                       predictor.tokenizer, cfg, out.parent / f"{out.name}-checkpoints",
                       predictor.vocab, device=device)
    metrics, _ = evaluate_examples(model, scored, predictor.tokenizer, predictor.vocab,
                                   decode=predictor.decode_settings(), device=device)
    metrics.update(split="dev" if dev_examples else "train", epochs=state.epoch,
                   best_epoch=state.best_epoch, finetuned_from=predictor.name,
                   train_examples=len(train_examples), dev_examples=len(dev_examples),
                   **(extra_metrics or {}))
    extra = {k: v for k, v in predictor.config.items() if k != "model"}
    extra["train"] = cfg.to_dict()
    return write_translation_bundle(
        out, model=model.eval(), tokenizer=predictor.tokenizer, vocab=predictor.vocab,
        name=name, language=language, metrics=metrics, card=card, extra_config=extra)


def _counting(examples: list[Example], epochs: int,
              on_epoch: OnEpoch | None) -> Callable[[int], Sequence[Example]]:
    """The epoch data function of `fit`, telling `on_epoch` as each epoch starts."""
    def data(epoch: int) -> Sequence[Example]:
        if on_epoch is not None:
            on_epoch(epoch, epochs)
        return examples
    return data


def summary(metrics: dict[str, Any]) -> str:
    """One line of the headline metrics of a fine-tuned bundle (for logs)."""
    keys = ("bleu4", "chrf", "cer", "ctc_gloss_wer")
    return ", ".join(f"{k} {metrics[k]}" for k in keys if k in metrics)
