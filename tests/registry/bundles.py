"""Tiny real bundles for registry tests, written with mlcore.bundle.write_bundle.

The models are the project's real predictor classes at toy sizes with random weights: enough
for validation's forward pass, a job, and telling two versions apart by their output.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from mlcore.bundle import write_bundle

LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
SPM_SENTENCES = [
    "hello world", "my name is ann", "the weather is fine", "good morning",
    "thank you very much", "where is the station", "i like coffee", "see you later",
    "how are you", "nice to meet you", "what time is it", "the train is late",
] * 5


def spm_model(cache_dir: Path) -> Path:
    """A small SentencePiece model with the project's special ids (trained once per dir)."""
    from translation.ml.tokenizer import train_spm

    path = cache_dir / "spm.model"
    if not path.exists():
        train_spm(SPM_SENTENCES, cache_dir / "spm", vocab_size=60)
    return path


def translation_bundle(
    out: Path,
    spm_path: Path,
    *,
    glosses: list[str] | None = None,
    language: str = "ase",
    name: str = "tiny-fingerspelling",
    seed: int = 0,
    input_kind: str = "landmarks",
) -> Path:
    """A landmarks->text (or gloss->text) translator with a CTC gloss head, at toy size."""
    from translation.ml.config import ModelConfig
    from translation.ml.features import FEATURE_DIM, FEATURE_SET
    from translation.ml.model import Translator, stored_state
    from translation.ml.tokenizer import GlossVocab, TextTokenizer

    glosses = LETTERS if glosses is None else glosses
    vocab = GlossVocab(glosses)
    extra = {"src_vocab_size": len(vocab)} if input_kind == "gloss" else {
        "input_dim": FEATURE_DIM, "ctc_vocab_size": len(vocab)}
    cfg = ModelConfig(input_kind=input_kind, tgt_vocab_size=len(TextTokenizer(spm_path)),
                      d_model=16, n_heads=2, n_enc_layers=1, n_dec_layers=1, d_ff=32,
                      max_tgt_len=8, **extra)
    torch.manual_seed(seed)
    model = Translator(cfg)
    state = stored_state(model.state_dict(), cfg.tie_embeddings)
    return write_bundle(
        out, task="translation", language=language, name=name,
        config={"model": cfg.to_dict(), "features": {"set": FEATURE_SET}},
        state_dict=state, metrics={"bleu4": 1.0 + seed, "chrf": 10.0 + seed, "split": "dev"},
        card=f"Tiny test translator, seed {seed}.", vocabulary=vocab.glosses,
        spm_model=spm_path,
    )


def zip_folder(folder: Path, out_zip: Path) -> Path:
    """A .zip of a bundle folder as an admin would upload it."""
    return Path(shutil.make_archive(str(out_zip.with_suffix("")), "zip", folder.parent,
                                    folder.name))


def isolated_bundle(
    out: Path,
    *,
    glosses: list[str] | None = None,
    language: str = "ase",
    name: str = "tiny-letters",
    seed: int = 0,
    metrics: dict | None = None,
    hand_recovery: bool = False,
) -> Path:
    """An isolated-sign classifier (recognition.ml) at toy size with random weights."""
    import dataclasses

    from recognition.ml.config import IsolatedConfig, ModelConfig
    from recognition.ml.model import IsolatedSignTransformer
    from recognition.ml.train import complete_config

    vocab = LETTERS if glosses is None else glosses
    cfg = IsolatedConfig(name=name, language=language,
                         model=ModelConfig(d_model=16, n_heads=2, n_layers=1, max_frames=32,
                                           cross_modal_heads=2))
    cfg = complete_config(cfg, vocab)
    cfg = dataclasses.replace(cfg, features=dataclasses.replace(cfg.features,
                                                                hand_recovery=hand_recovery))
    cfg = dataclasses.replace(cfg, train=dataclasses.replace(
        cfg.train, epochs=1, steps_per_epoch=2, batch_size=8, warmup_steps=1))
    torch.manual_seed(seed)
    model = IsolatedSignTransformer(cfg.model)
    return write_bundle(
        out, task="isolated", language=language, name=name, config=cfg.to_dict(),
        state_dict=model.state_dict(),
        metrics=metrics or {"test": {"clip1": {"top1": 0.5 + seed / 100, "top5": 0.9}}},
        card=f"Tiny test classifier, seed {seed}.", vocabulary=list(vocab),
    )
