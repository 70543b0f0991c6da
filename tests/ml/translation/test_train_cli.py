"""End to end on a tiny corpus: train-translation -> bundle -> predictor / translate-text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from mlcore.bundle import read_bundle
from translation.ml.cli import main
from translation.ml.config import TrainConfig, tiny_model_config
from translation.ml.data import encode_gloss_pairs, read_lines
from translation.ml.decode import greedy_decode
from translation.ml.infer import TranslationPredictor, load_translator
from translation.ml.model import Translator
from translation.ml.pipeline import write_translation_bundle
from translation.ml.tokenizer import GlossVocab, TextTokenizer, gloss_piece_map
from translation.ml.train import fit

from .conftest import TINY_PAIRS

TINY_ARGS = ["--d-model", "32", "--heads", "2", "--enc-layers", "1", "--dec-layers", "1",
             "--d-ff", "64", "--dropout", "0.0", "--attn-dropout", "0.0", "--lr", "3e-3",
             "--warmup", "10", "--batch-size", "4", "--spm-type", "bpe", "--spm-vocab-size", "40",
             "--beam", "2", "--threads", "1", "--device", "cpu"]


@pytest.fixture(scope="module")
def tiny_bundle(tiny_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    files = [str(tiny_files["gloss"]), str(tiny_files["text"])]
    code = main(["train-translation", "--out", str(out / "b"), "--name", "tiny",
                 "--train-src", files[0], "--train-tgt", files[1], "--dev-src", files[0],
                 "--dev-tgt", files[1], "--epochs", "3", "--share-gloss-text",
                 "--checkpoint-dir", str(out / "ckpt"), *TINY_ARGS])
    assert code == 0
    return out / "b"


def test_train_translation_writes_a_complete_bundle(tiny_bundle: Path) -> None:
    bundle = read_bundle(tiny_bundle)
    assert bundle.task == "translation" and bundle.name == "tiny"
    assert bundle.spm_path.is_file()
    assert bundle.vocabulary == GlossVocab.build(g for g, _ in TINY_PAIRS).glosses
    assert bundle.config["gloss_vocab_role"] == "source"
    assert bundle.config["model"]["share_gloss_text"] is True
    metrics = bundle.metrics
    assert {"bleu4", "chrf", "bleu_signature", "chrf_signature", "ctc_gloss_wer"} <= set(metrics)
    assert metrics["bleu_signature"].startswith("nrefs:1|") and metrics["epochs"] == 3
    assert "slrweb train-translation" in bundle.card and "CC BY-NC-SA 3.0" in bundle.card


def test_bundle_round_trip_keeps_weights_and_outputs(tiny_spm: TextTokenizer,
                                                     tiny_vocab: GlossVocab,
                                                     tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Translator(tiny_model_config(src_vocab_size=len(tiny_vocab),
                                         tgt_vocab_size=len(tiny_spm))).eval()
    write_translation_bundle(tmp_path / "b", model=model, tokenizer=tiny_spm, vocab=tiny_vocab,
                             name="rt", language="dgs", metrics={}, card="test")
    loaded, _ = load_translator(tmp_path / "b")
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key
    assert loaded.out_proj.weight is loaded.tgt_embed.weight
    src = torch.tensor([[2, 3, 4]])
    mask = torch.ones_like(src, dtype=torch.bool)
    assert greedy_decode(model, src, mask)[0].tokens == greedy_decode(loaded, src, mask)[0].tokens


def test_translate_text_writes_one_line_per_input_line(tiny_bundle: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["MORGEN REGEN", "", "NIEMALS GESEHEN", "   ", "heute sonne", "SUED WIND " * 30,
             "NORD\x0cWIND"]  # a form feed is not a line break for line-aligned corpora
    gloss_file = tmp_path / "in.gloss"
    gloss_file.write_bytes("\r\n".join(lines).encode() + b"\xff\r\n")  # CRLF, a bad byte
    capsys.readouterr()
    assert main(["translate-text", "--model", str(tiny_bundle), "--input", str(gloss_file),
                 "--beam", "2", "--batch-size", "2", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("\n")
    rows = out.split("\n")[:-1]
    assert len(rows) == len(lines)
    assert rows[1] == "" and rows[3] == ""
    assert rows[0] and rows[2]  # unknown glosses still give a translation
    predictor = TranslationPredictor.from_bundle(tiny_bundle)
    read = read_lines(gloss_file)
    assert read[:-1] == lines[:-1] and read[-1] == lines[-1] + "\ufffd"
    assert predictor.translate_text(read, beam_size=2) == [" ".join(r.split()) for r in rows]


def test_evaluate_translation_prints_metrics(tiny_bundle: Path, tiny_files: dict[str, Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["evaluate-translation", "--model", str(tiny_bundle), "--src",
                 str(tiny_files["gloss"]), "--ref", str(tiny_files["text"]), "--beam", "1",
                 "--threads", "1"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["sentences"] == len(TINY_PAIRS) and 0.0 <= metrics["bleu4"] <= 100.0


def test_fit_resumes_and_stops_early(tiny_spm: TextTokenizer, tiny_vocab: GlossVocab,
                                     tmp_path: Path) -> None:
    examples = encode_gloss_pairs(TINY_PAIRS, tiny_vocab, tiny_spm, 20)
    cfg = tiny_model_config(src_vocab_size=len(tiny_vocab), tgt_vocab_size=len(tiny_spm))
    first = TrainConfig(epochs=1, batch_size=4, warmup_steps=5, patience=100)
    torch.manual_seed(0)
    _, state = fit(Translator(cfg), lambda e: examples, examples, tiny_spm, first, tmp_path)
    assert state.epoch == 1 and (tmp_path / "last.pt").is_file()
    more = TrainConfig(epochs=3, batch_size=4, warmup_steps=5, patience=100)
    _, state = fit(Translator(cfg), lambda e: examples, examples, tiny_spm, more, tmp_path,
                   resume=True)
    assert state.epoch == 3 and [h["epoch"] for h in state.history] == [1, 2, 3]
    # nothing can improve: two plateau decays, then early stopping
    frozen = TrainConfig(epochs=10, batch_size=4, lr=0.0, patience=2, plateau_factor=0.5)
    _, state = fit(Translator(cfg), lambda e: examples, examples, tiny_spm, frozen,
                   tmp_path / "other")
    assert state.epoch == 3 and state.best_epoch == 1 and state.lr_scale == 0.25


def test_train_translation_average_last_writes_the_mean_of_the_last_epochs(
        tiny_files: dict[str, Path], tmp_path: Path) -> None:
    files = [str(tiny_files["gloss"]), str(tiny_files["text"])]
    code = main(["train-translation", "--out", str(tmp_path / "b"), "--name", "tiny",
                 "--train-src", files[0], "--train-tgt", files[1], "--dev-src", files[0],
                 "--dev-tgt", files[1], "--epochs", "3", "--schedule", "constant",
                 "--average-last", "2", "--checkpoint-dir", str(tmp_path / "ckpt"), *TINY_ARGS])
    assert code == 0
    bundle = read_bundle(tmp_path / "b")
    assert bundle.metrics["averaged_epochs"] == [2, 3]
    assert bundle.config["train"]["average_last"] == 2
    assert bundle.config["train"]["schedule"] == "constant"
    model, _ = load_translator(tmp_path / "b")
    kept = [torch.load(tmp_path / "ckpt" / f"epoch-00{e}.pt", weights_only=True) for e in (2, 3)]
    name = "tgt_embed.weight"
    assert torch.allclose(model.state_dict()[name], (kept[0][name] + kept[1][name]) / 2,
                          atol=1e-6)


def test_average_last_of_a_warm_started_run_counts_the_start_as_epoch_0(
        tiny_bundle: Path, tiny_files: dict[str, Path], tmp_path: Path) -> None:
    files = [str(tiny_files["gloss"]), str(tiny_files["text"])]
    code = main(["train-translation", "--out", str(tmp_path / "b"), "--name", "tiny",
                 "--train-src", files[0], "--train-tgt", files[1], "--dev-src", files[0],
                 "--dev-tgt", files[1], "--epochs", "2", "--share-gloss-text",
                 "--init-from", str(tiny_bundle), "--spm-model",
                 str(read_bundle(tiny_bundle).spm_path), "--average-last", "5",
                 "--checkpoint-dir", str(tmp_path / "ckpt"), *TINY_ARGS])
    assert code == 0
    assert read_bundle(tmp_path / "b").metrics["averaged_epochs"] == [0, 1, 2]
    start, _ = load_translator(tiny_bundle)
    epoch0 = torch.load(tmp_path / "ckpt" / "epoch-000.pt", weights_only=True)
    assert all(torch.equal(epoch0[k], v) for k, v in start.state_dict().items())


def test_warm_start_carries_each_gloss_row_to_its_gloss_in_a_rebuilt_vocabulary(
        tiny_bundle: Path, tmp_path: Path) -> None:
    # other training lines: WIND becomes the most frequent gloss and a new gloss appears, so
    # the rebuilt vocabulary orders the glosses differently from the bundle's
    pairs = TINY_PAIRS + [("SUED WIND", "im süden weht wind .")] * 4 + [("NEBEL", "nebel .")]
    gloss, text = tmp_path / "c.gloss", tmp_path / "c.de"
    gloss.write_text("\n".join(g for g, _ in pairs) + "\n")
    text.write_text("\n".join(t for _, t in pairs) + "\n")
    code = main(["train-translation", "--out", str(tmp_path / "b"), "--name", "tiny",
                 "--train-src", str(gloss), "--train-tgt", str(text), "--dev-src", str(gloss),
                 "--dev-tgt", str(text), "--epochs", "1", "--share-gloss-text", "--init-from",
                 str(tiny_bundle), "--spm-model", str(read_bundle(tiny_bundle).spm_path),
                 "--average-last", "2", "--checkpoint-dir", str(tmp_path / "ckpt"), *TINY_ARGS])
    assert code == 0
    old_vocab = GlossVocab(read_bundle(tiny_bundle).vocabulary)
    new_vocab = GlossVocab(read_bundle(tmp_path / "b").vocabulary)
    assert new_vocab.itos != old_vocab.itos and "NEBEL" in new_vocab.stoi
    start, _ = load_translator(tiny_bundle)
    epoch0 = torch.load(tmp_path / "ckpt" / "epoch-000.pt", weights_only=True)
    old_rows = start.state_dict()["src_embed.weight"]
    for g in old_vocab.itos:
        assert torch.equal(epoch0["src_embed.weight"][new_vocab.stoi[g]],
                           old_rows[old_vocab.stoi[g]]), g
    # the new gloss keeps its fresh row, and the gloss -> piece map follows the new vocabulary
    assert not any(torch.equal(epoch0["src_embed.weight"][new_vocab.stoi["NEBEL"]], row)
                   for row in old_rows)
    tokenizer = TextTokenizer(read_bundle(tiny_bundle).spm_path)
    assert epoch0["gloss_to_piece"].tolist() == gloss_piece_map(new_vocab, tokenizer)
    assert torch.equal(epoch0["tgt_embed.weight"], start.state_dict()["tgt_embed.weight"])
