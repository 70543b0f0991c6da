from __future__ import annotations

from translation.ml.tokenizer import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    UNK_ID,
    GlossVocab,
    TextTokenizer,
    gloss_piece_map,
    gloss_word,
)


def test_special_ids_are_fixed(tiny_spm: TextTokenizer) -> None:
    sp = tiny_spm.sp
    assert (PAD_ID, UNK_ID, BOS_ID, EOS_ID) == (0, 1, 2, 3)
    assert (sp.pad_id(), sp.unk_id(), sp.bos_id(), sp.eos_id()) == (0, 1, 2, 3)
    assert [tiny_spm.piece(i) for i in range(4)] == ["<pad>", "<unk>", "<s>", "</s>"]


def test_vocab_size_is_a_parameter(tiny_spm: TextTokenizer) -> None:
    assert len(tiny_spm) == 40


def test_encode_decode_round_trip(tiny_spm: TextTokenizer) -> None:
    text = "morgen scheint die sonne ."
    ids = tiny_spm.encode(text)
    assert min(ids) > EOS_ID
    assert tiny_spm.decode(ids) == text
    assert tiny_spm.decode([BOS_ID, *ids, EOS_ID, PAD_ID]) == text  # specials dropped


def test_gloss_vocab_reserves_pad_and_unk() -> None:
    vocab = GlossVocab.build(["REGEN SONNE REGEN", "WIND"])
    assert vocab.itos[:3] == ["<pad>", "<unk>", "REGEN"]  # most frequent first
    assert vocab.encode("REGEN NIEMALS wind") == [2, UNK_ID, vocab.stoi["WIND"]]
    assert vocab.decode([0, 2, 1]) == ["REGEN", "<unk>"]
    assert GlossVocab(vocab.glosses).itos == vocab.itos  # what a bundle stores round-trips


def test_gloss_piece_map_links_glosses_to_words(tiny_spm: TextTokenizer) -> None:
    words = [tiny_spm.piece(i)[1:] for i in range(len(tiny_spm))
             if tiny_spm.piece(i).startswith("\u2581") and tiny_spm.piece(i)[1:].isalpha()]
    word = max(words, key=len)  # a whole word that is one piece of this small model
    vocab = GlossVocab([word.upper(), f"loc-{word.upper()}", "XYZ"])
    mapping = gloss_piece_map(vocab, tiny_spm)
    assert gloss_word("loc-NORD") == "nord" and gloss_word("WIE-AUSSEHEN") == "wie-aussehen"
    assert mapping[0] == mapping[1] == 0  # specials
    assert tiny_spm.piece(mapping[2]) == tiny_spm.piece(mapping[3]) == "\u2581" + word
    assert mapping[vocab.stoi["XYZ"]] == 0
