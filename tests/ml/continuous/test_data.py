"""BOSTON-104 loader: the counts its README gives, sentence order, splits and folds."""

from __future__ import annotations

from translation.ml.continuous.data import SPEAKERS, Sentence, dev_split, evaluation_folds


def test_counts_match_the_readme(boston: list[Sentence]) -> None:
    assert len(boston) == 201
    assert {s.speaker for s in boston} == set(SPEAKERS)
    assert sum(len(s) for s in boston) == 15_746
    assert sum(len(s.words) for s in boston) == 888
    assert len({g for s in boston for g in s.glosses}) == 113
    assert sum(s.split == "train" for s in boston) == 161
    assert sum(s.split == "test" for s in boston) == 40
    per_speaker = {sp: sum(s.speaker == sp for s in boston) for sp in SPEAKERS}
    assert per_speaker == {"man-1": 79, "woman-1": 62, "woman-2": 60}
    assert all(41 <= len(s) <= 162 for s in boston)


def test_sentences_are_words_in_start_order(boston: list[Sentence]) -> None:
    by_video = {s.video: s for s in boston}
    assert by_video[1].glosses == ["JOHN", "WRITE", "HOMEWORK"]
    assert by_video[3].glosses == ["IX-1P", "SEE", "JOHN", "YESTERDAY", "IX"]
    for s in boston:
        assert [w.start for w in s.words] == sorted(w.start for w in s.words)
        assert all(0 <= w.start <= w.end < len(s) for w in s.words)
        assert s.tracks.shape == (len(s), 3, 2)


def test_folds_hold_out_a_signer_or_the_database_split(boston: list[Sentence]) -> None:
    folds = evaluation_folds(boston)
    assert [f.name for f in folds][0] == "database split"
    for fold in folds[1:]:
        held_out = {s.speaker for s in fold.test}
        assert len(held_out) == 1
        assert held_out.isdisjoint(s.speaker for s in fold.train)
        assert len(fold.train) + len(fold.test) == 201
    train, dev = dev_split(folds[0].train, 0.15, seed=1)
    assert len(dev) == 24 and len(train) == 137
    assert {s.video for s in train}.isdisjoint(s.video for s in dev)
    assert dev_split(folds[0].train, 0.15, seed=1)[1] == dev  # seeded
