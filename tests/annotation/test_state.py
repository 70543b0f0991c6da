"""Validation of annotation states and the field-level diff that becomes Correction rows."""

from __future__ import annotations

import pytest

from annotation.errors import InvalidAnnotation
from annotation.state import (
    best_origin, clean_flags, clean_segments, clean_translation, diff_states, model_labels,
    proposal_from_result,
)
from tests.annotation.factories import simple_result


def seg(seg_id: str, start: float, end: float, gloss: str = "A", origin: int | None = None) -> dict:
    return {"id": seg_id, "start": start, "end": end, "gloss": gloss, "origin": origin}


def test_proposal_takes_top1_of_each_model_segment():
    state = proposal_from_result(simple_result(3.0))
    assert [s["gloss"] for s in state["segments"]] == ["C", "O", "B"]
    assert [s["origin"] for s in state["segments"]] == [0, 1, 2]
    assert state["segments"][1]["start"] == 1.0 and state["segments"][1]["end"] == 2.0
    assert state["translation"] == "cob" and state["flags"] == []


def test_proposal_without_recognition_is_empty():
    assert proposal_from_result({"landmarks": {"frames": 3}}) == {
        "segments": [], "translation": "", "flags": []}


def test_model_labels_name_each_model_and_the_extractor():
    labels = model_labels(simple_result(), extractor="holistic/1")
    assert labels == {"recognition": "asl-letters@2", "translation": "asl-fs-translator@1",
                      "landmarks": "holistic/1"}


def test_segments_are_sorted_and_rounded_to_milliseconds():
    cleaned = clean_segments([seg("b", 1.00049, 2.0), seg("a", 0.0, 1.0)], duration=3.0)
    assert [s["id"] for s in cleaned] == ["a", "b"]
    assert cleaned[1]["start"] == 1.0


@pytest.mark.parametrize("segments, message", [
    ([seg("a", 0.0, 1.5), seg("b", 1.0, 2.0)], "overlaps"),
    ([seg("a", 1.0, 1.0)], "end after it starts"),
    ([seg("a", -0.5, 1.0)], "start at 0"),
    ([seg("a", 0.0, 3.5)], "ends after the clip"),
    ([seg("a", 0.0, 1.0), seg("a", 1.0, 2.0)], "used twice"),
    ([{"id": "a", "start": "x", "end": 1.0}], "number"),
    ([{"start": 0.0, "end": 1.0}], "needs an id"),
    ("nope", "must be a list"),
])
def test_bad_segments_are_refused_with_a_reason(segments, message):
    with pytest.raises(InvalidAnnotation, match=message):
        clean_segments(segments, duration=3.0)


def test_stale_origin_is_dropped_not_an_error():
    assert clean_segments([seg("a", 0.0, 1.0, origin=9)], 3.0, n_model=3)[0]["origin"] is None


def test_translation_whitespace_is_normalised_and_flags_checked():
    assert clean_translation("  the  cat\n sat ") == "the cat sat"
    assert clean_flags(["bad_extraction", "bad_extraction"]) == ["bad_extraction"]
    with pytest.raises(InvalidAnnotation):
        clean_flags(["made_up"])


def test_best_origin_is_the_most_overlapping_model_segment():
    model = simple_result(3.0)["recognition"]["segments"]
    assert best_origin(0.9, 1.8, model) == 1
    assert best_origin(5.0, 6.0, model) is None


def test_diff_records_each_changed_field_and_structure_changes():
    before = {"segments": [seg("m0", 0, 1, "C", 0), seg("m1", 1, 2, "O", 1)],
              "translation": "cob", "flags": []}
    after = {"segments": [seg("m0", 0, 1.2, "C", 0), seg("n1", 1.2, 2, "A", 1)],
             "translation": "cab", "flags": ["bad_extraction"]}
    changes = {c.field: c for c in diff_states(before, after)}
    assert set(changes) == {"segment:m0.end", "segment:m1", "segment:n1", "translation",
                            "flag:bad_extraction"}
    assert (changes["segment:m0.end"].before, changes["segment:m0.end"].after) == (1, 1.2)
    assert changes["segment:m1"].after is None
    assert changes["segment:n1"].before is None and changes["segment:n1"].after["gloss"] == "A"
    assert changes["translation"].task == "translation"
    assert changes["flag:bad_extraction"].task == "landmarks"
    assert diff_states(after, after) == []
