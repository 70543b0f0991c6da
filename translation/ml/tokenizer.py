"""Target-side SentencePiece tokenizer and source/CTC gloss vocabulary.

Fixed special ids on the text side (every bundle agrees): pad=0, unk=1, bos=2, eos=3.
Gloss vocabularies reserve 0 for padding (which is also the CTC blank) and 1 for unknown glosses.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
GLOSS_PAD, GLOSS_UNK = "<pad>", "<unk>"


def train_spm(
    sentences: Iterable[str] | str | Path,
    model_prefix: str | Path,
    vocab_size: int = 3000,
    model_type: str = "unigram",
    character_coverage: float = 1.0,
) -> Path:
    """Train a SentencePiece model on a text file (or sentences); return the .model path.

    Specials are pinned to pad=0, unk=1, bos=2, eos=3 so that every bundle shares them.
    `hard_vocab_limit=False` lets a small corpus end with fewer pieces than asked for.
    """
    import sentencepiece as spm

    prefix = Path(model_prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if isinstance(sentences, str | Path):
            text_file = Path(sentences)
        else:
            text_file = Path(tmp) / "corpus.txt"
            text_file.write_text("\n".join(s.strip() for s in sentences) + "\n")
        spm.SentencePieceTrainer.train(
            input=str(text_file), model_prefix=str(prefix), vocab_size=vocab_size,
            model_type=model_type, character_coverage=character_coverage,
            pad_id=PAD_ID, unk_id=UNK_ID, bos_id=BOS_ID, eos_id=EOS_ID,
            hard_vocab_limit=False, minloglevel=2,
        )
    return prefix.with_suffix(".model")


class TextTokenizer:
    """Thin wrapper over a SentencePiece model with the fixed special ids."""

    def __init__(self, model_path: str | Path) -> None:
        import sentencepiece as spm

        self.model_path = Path(model_path)
        self.sp = spm.SentencePieceProcessor(model_file=str(model_path))
        specials = (self.sp.pad_id(), self.sp.unk_id(), self.sp.bos_id(), self.sp.eos_id())
        if specials != (PAD_ID, UNK_ID, BOS_ID, EOS_ID):
            raise ValueError(f"{model_path}: special ids {specials}, expected (0, 1, 2, 3)")

    def __len__(self) -> int:
        return int(self.sp.get_piece_size())

    def encode(self, text: str) -> list[int]:
        """Piece ids of `text` without bos/eos."""
        return list(self.sp.encode(text, out_type=int))

    def decode(self, ids: Sequence[int]) -> str:
        """Text of `ids`; specials are dropped."""
        return str(self.sp.decode([int(i) for i in ids if int(i) > EOS_ID]))

    def piece(self, token_id: int) -> str:
        return str(self.sp.id_to_piece(int(token_id)))


class GlossVocab:
    """Word-level gloss vocabulary: id 0 = <pad> (and CTC blank), 1 = <unk>, then glosses."""

    def __init__(self, glosses: Sequence[str]) -> None:
        self.itos = [GLOSS_PAD, GLOSS_UNK] + [g for g in glosses if g not in (GLOSS_PAD, GLOSS_UNK)]
        self.stoi = {g: i for i, g in enumerate(self.itos)}

    @classmethod
    def build(cls, lines: Iterable[str], min_freq: int = 1) -> GlossVocab:
        """Vocabulary of the whitespace-separated glosses in `lines`, most frequent first."""
        counts = Counter(g for line in lines for g in line.split())
        ordered = sorted((g for g, n in counts.items() if n >= min_freq), key=lambda g: (-counts[g], g))
        return cls(ordered)

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def glosses(self) -> list[str]:
        """The real glosses (no specials), in id order: what a bundle stores in glosses.txt."""
        return self.itos[2:]

    def encode(self, line: str | Sequence[str]) -> list[int]:
        """Ids of the glosses; unknown ones map to <unk> after trying the upper-case form
        (other corpora write the same glosses in lower case)."""
        tokens = line.split() if isinstance(line, str) else line
        return [self.stoi.get(g, self.stoi.get(g.upper(), UNK_ID)) for g in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids if 0 < i < len(self.itos)]


def gloss_word(gloss: str) -> str:
    """The German word a DGS gloss names: lower case, 'loc-'/'poss-' style prefixes dropped."""
    head, _, tail = gloss.partition("-")
    word = tail if tail and head.islower() else gloss
    return word.lower()


def gloss_piece_map(vocab: GlossVocab, tokenizer: TextTokenizer) -> list[int]:
    """For each gloss id, the id of the target piece '▁word' it names, or 0 when none exists.

    Glosses write umlauts as AE/OE/UE (MAESSIG); that spelling is tried after the plain one.
    """
    def piece_id(word: str) -> int:
        token = int(tokenizer.sp.piece_to_id("\u2581" + word))
        return token if token > EOS_ID else 0

    out = []
    for gloss in vocab.itos:
        word = gloss_word(gloss)
        umlauts = word.replace("ae", "\u00e4").replace("oe", "\u00f6").replace("ue", "\u00fc")
        out.append(0 if gloss in (GLOSS_PAD, GLOSS_UNK) else piece_id(word) or piece_id(umlauts))
    return out
