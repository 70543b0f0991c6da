"""ELAN .eaf and WebVTT of annotations, round-tripped over real .pose clips (../shared/data/poses)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import webvtt

from annotation import services
from annotation.formats import annotation_webvtt, build_eaf, eaf_bytes, read_eaf
from annotation.selectors import clip_duration
from annotation.state import model_segments
from corpus.segments import cut_segment
from landmarks.formats import read_landmarks
from tests.annotation.factories import letter_clips, make_job, recognition, spelled_word, translation

pytestmark = pytest.mark.django_db


def export(job) -> bytes:  # noqa: ANN001
    annotation = job.annotation
    eaf = build_eaf(annotation.segments, model_segments(job.result), annotation.translation,
                    clip_duration(job), media_url=job.original_name)
    return eaf_bytes(eaf)


def test_spelled_word_round_trip(shared_data: Path, owner, annotator, ase):
    """C-A-B from real ASL letter clips: correct a gloss, export .eaf, import into a new job."""
    sequence, spans = spelled_word(shared_data, "CAB")
    result = {"recognition": recognition([
        (*spans[0], [("C", 0.8), ("O", 0.1)]),
        (*spans[1], [("S", 0.6), ("A", 0.3)]),  # the model was wrong here
        (*spans[2], [("B", 0.9), ("F", 0.05)]),
    ]), "translation": translation("csb")}
    job = make_job(owner, sequence, result=result)
    annotation = services.open_annotation(job, annotator)
    segments = [dict(s) for s in annotation.segments]
    segments[1]["gloss"] = "A"
    services.save_draft(annotation, annotator, segments=segments, translation="cab", flags=[],
                        revision=0)
    job.refresh_from_db()
    data = export(job)

    content = read_eaf(data)
    assert [(s["start"], s["end"], s["gloss"]) for s in content.segments] == [
        (start, end, letter) for (start, end), letter in zip(spans, "CAB", strict=True)]
    assert content.translation == "cab"
    # Each exported span covers exactly the frames of the real letter clip it came from.
    clips = letter_clips(shared_data)
    for seg, letter in zip(content.segments, "CAB", strict=True):
        assert len(cut_segment(sequence, seg["start"], seg["end"])) == len(
            read_landmarks(clips[letter]))

    other = make_job(owner, sequence, result=result)
    imported = services.prefill_from_eaf(services.open_annotation(other, annotator), annotator,
                                         data, revision=0)
    assert [(s["start"], s["end"], s["gloss"]) for s in imported.segments] == [
        (s["start"], s["end"], s["gloss"]) for s in job.annotation.segments]
    assert [s["origin"] for s in imported.segments] == [0, 1, 2]
    assert imported.translation == "cab"
    other.refresh_from_db()
    assert read_eaf(export(other)).segments == content.segments  # stable on a second trip


def _sgg_lexicon(shared_data: Path) -> list[tuple[Path, str]]:
    root = shared_data / "poses" / "s2s_dummy_lexicon_sgg"
    with open(root / "index.csv", newline="") as handle:
        return [(root / Path(row["path"]).name, row["glosses"]) for row in csv.DictReader(handle)]


def test_every_sgg_lexicon_pose_round_trips(shared_data: Path, owner, annotator):
    """Each real Swiss-German .pose word: one segment over the signed frames, its gloss."""
    entries = _sgg_lexicon(shared_data)
    assert len(entries) == 4
    for path, gloss in entries:
        sequence = read_landmarks(path)
        hands = sequence.presence[:, 2] | sequence.presence[:, 3]
        frames = hands.nonzero()[0]
        start = round(float(sequence.timestamps[frames[0]]), 3)
        end = round(float(sequence.timestamps[frames[-1]]) + 1 / sequence.fps, 3)
        result = {"recognition": recognition([(start, end, [(gloss.upper(), 0.5)])])}
        job = make_job(owner, sequence, result=result, language="sgg", name=path.name)
        annotation = services.open_annotation(job, annotator)
        segments = [{**annotation.segments[0], "gloss": gloss}]
        services.save_draft(annotation, annotator, segments=segments, translation=gloss.lower(),
                            flags=[], revision=0)
        job.refresh_from_db()
        content = read_eaf(export(job))
        assert content.segments == [{"start": start, "end": end, "gloss": gloss}], path.name
        assert content.translation == gloss.lower()
        assert end <= clip_duration(job) + 1e-6
        # The span read back selects the same frames: first to last frame with a hand.
        assert len(cut_segment(sequence, start, end)) == frames[-1] - frames[0] + 1


def test_eaf_without_gloss_tier_is_refused_with_the_tiers_it_has():
    from pympi.Elan import Eaf

    eaf = Eaf(author="x")
    eaf.add_tier("Words")
    with pytest.raises(Exception, match="no GLOSS tier.*Words"):
        read_eaf(eaf_bytes(eaf))


def test_webvtt_parses_back_into_the_same_cues():
    segments = [{"id": "m0", "start": 0.0, "end": 1.25, "gloss": "C"},
                {"id": "n1", "start": 1.25, "end": 3723.5, "gloss": "A"}]
    text = annotation_webvtt(segments, "cab")
    cues = webvtt.from_buffer(io.StringIO(text))
    assert [(c.identifier, c.start, c.end, c.text) for c in cues] == [
        ("m0", "00:00:00.000", "00:00:01.250", "C"),
        ("n1", "00:00:01.250", "01:02:03.500", "A"),
        ("translation", "00:00:00.000", "01:02:03.500", "cab"),
    ]
