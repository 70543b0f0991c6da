"""The annotation workflow: consent, drafts with Correction rows, submit, accept, reject."""

from __future__ import annotations

import pytest

from annotation import services
from annotation.errors import AnnotationConflict, InvalidAnnotation, NotAllowed
from annotation.models import Annotation, Correction, Review, ReviewRequest
from jobs.models import Job
from tests.annotation.factories import make_job, simple_result

pytestmark = pytest.mark.django_db


def edit(annotation: Annotation, user, **changes):  # noqa: ANN001
    state = {"segments": [dict(s) for s in annotation.segments],
             "translation": annotation.translation, "flags": list(annotation.flags)}
    state.update(changes)
    return services.save_draft(annotation, user, revision=annotation.revision, **state)


def test_only_the_owner_can_share_and_withdraw(job, owner, stranger):
    with pytest.raises(NotAllowed):
        services.share_job_for_review(job, stranger)
    request = services.share_job_for_review(job, owner, "check it")
    assert request.shared_by == owner and request.note == "check it"
    assert services.share_job_for_review(job, owner) == request  # idempotent
    with pytest.raises(NotAllowed):
        services.withdraw_review_request(job, stranger)
    assert services.withdraw_review_request(job, owner) is True
    assert not ReviewRequest.objects.filter(job=job).exists()


def test_open_starts_from_the_models_output(shared_job, annotator):
    annotation = services.open_annotation(shared_job, annotator)
    assert [s["gloss"] for s in annotation.segments] == ["C", "O", "B"]
    assert annotation.translation == "cob" and annotation.revision == 0
    assert annotation.base_models["recognition"] == "asl-letters@2"
    assert annotation.base_models["translation"] == "asl-fs-translator@1"
    assert services.open_annotation(shared_job, annotator).pk == annotation.pk


def test_unfinished_job_cannot_be_annotated(shared_job, annotator):
    Job.objects.filter(pk=shared_job.pk).update(status=Job.Status.RUNNING)
    shared_job.refresh_from_db()
    with pytest.raises(AnnotationConflict):
        services.open_annotation(shared_job, annotator)


def test_each_changed_field_is_a_correction_row_with_provenance(shared_job, annotator):
    annotation = services.open_annotation(shared_job, annotator)
    segments = [dict(s) for s in annotation.segments]
    segments[1]["gloss"] = "A"  # picked the second of the top-k
    segments[0]["end"] = 1.2  # moved a boundary
    segments[1]["start"] = 1.2
    annotation = edit(annotation, annotator, segments=segments, translation="cab",
                      flags=["bad_extraction"])
    assert annotation.revision == 1 and annotation.status == "draft"
    rows = {c.field: c for c in Correction.objects.filter(annotation=annotation)}
    assert set(rows) == {"segment:m1.gloss", "segment:m0.end", "segment:m1.start",
                         "translation", "flag:bad_extraction"}
    gloss = rows["segment:m1.gloss"]
    assert (gloss.before, gloss.after) == ("O", "A")
    assert gloss.author == annotator and gloss.author_name == "anna"
    assert gloss.model_version == "asl-letters@2" and gloss.revision == 1
    assert rows["translation"].model_version == "asl-fs-translator@1"
    assert rows["translation"].before == "cob" and rows["translation"].after == "cab"
    assert rows["flag:bad_extraction"].model_version.startswith("holistic")
    # Saving the same state again writes nothing and keeps the revision.
    assert edit(annotation, annotator).revision == 1
    assert Correction.objects.filter(annotation=annotation).count() == 5


def test_split_and_merge_are_recorded_by_segment_id(shared_job, annotator):
    annotation = services.open_annotation(shared_job, annotator)
    m0, m1, m2 = (dict(s) for s in annotation.segments)
    split = [m0, {**m1, "end": 1.5}, {**m1, "id": "n1", "start": 1.5, "gloss": "S"}, m2]
    annotation = edit(annotation, annotator, segments=split)
    merged = [{**m0, "end": 2.0}, m2]
    annotation = edit(annotation, annotator, segments=merged)
    fields = list(Correction.objects.filter(annotation=annotation)
                  .values_list("revision", "field"))
    assert (1, "segment:m1.end") in fields and (1, "segment:n1") in fields
    assert {(2, "segment:m0.end"), (2, "segment:m1"), (2, "segment:n1")} <= set(fields)
    assert [s["id"] for s in annotation.segments] == ["m0", "m2"]


def test_stale_revision_is_a_conflict(shared_job, annotator, second_annotator):
    annotation = services.open_annotation(shared_job, annotator)
    edit(annotation, annotator, translation="cab")
    with pytest.raises(AnnotationConflict, match="somebody else"):
        services.save_draft(annotation, second_annotator, segments=annotation.segments,
                            translation="cub", flags=[], revision=0)


def test_invalid_state_is_refused_and_nothing_written(shared_job, annotator):
    annotation = services.open_annotation(shared_job, annotator)
    bad = [dict(s) for s in annotation.segments]
    bad[0]["end"] = 1.5  # overlaps the next segment
    with pytest.raises(InvalidAnnotation, match="overlaps"):
        edit(annotation, annotator, segments=bad)
    annotation.refresh_from_db()
    assert annotation.revision == 0 and not Correction.objects.exists()


def test_submit_needs_a_gloss_from_the_vocabulary_for_every_segment(shared_job, annotator):
    annotation = services.open_annotation(shared_job, annotator)
    segments = [dict(s) for s in annotation.segments]
    segments[2]["gloss"] = ""
    annotation = edit(annotation, annotator, segments=segments)
    with pytest.raises(InvalidAnnotation, match="without a gloss: 3"):
        services.submit_annotation(annotation, annotator, annotation.revision)
    segments[2]["gloss"] = "HELLO"  # not an ase gloss here
    annotation = edit(annotation, annotator, segments=segments)
    with pytest.raises(InvalidAnnotation, match="HELLO"):
        services.submit_annotation(annotation, annotator, annotation.revision)
    segments[2]["gloss"] = "COB"  # vocabulary, though not in the top-k
    annotation = edit(annotation, annotator, segments=segments)
    annotation = services.submit_annotation(annotation, annotator, annotation.revision)
    assert annotation.status == "submitted" and annotation.submitted is not None


def test_submitted_annotation_is_locked_then_accepted(shared_job, annotator, admin_user):
    annotation = services.open_annotation(shared_job, annotator)
    annotation = services.submit_annotation(annotation, annotator, 0)
    with pytest.raises(AnnotationConflict, match="can no longer be edited"):
        edit(annotation, annotator, translation="x")
    review = services.accept_annotation(annotation, admin_user, annotation.revision, "fine")
    annotation.refresh_from_db()
    assert annotation.status == "accepted" and annotation.reviewed is not None
    assert (review.decision, review.reviewer, review.comment) == ("accept", admin_user, "fine")
    with pytest.raises(AnnotationConflict, match="Only a submitted"):
        services.accept_annotation(annotation, admin_user, annotation.revision)


def test_rejection_needs_a_comment_and_reopens_editing(shared_job, annotator, admin_user):
    annotation = services.submit_annotation(services.open_annotation(shared_job, annotator),
                                            annotator, 0)
    with pytest.raises(InvalidAnnotation, match="why"):
        services.reject_annotation(annotation, admin_user, 0, "  ")
    services.reject_annotation(annotation, admin_user, 0, "second letter is A")
    annotation.refresh_from_db()
    assert annotation.status == "rejected" and annotation.is_editable
    annotation = edit(annotation, annotator, translation="cab")
    assert annotation.status == "draft"
    annotation = services.submit_annotation(annotation, annotator, annotation.revision)
    services.accept_annotation(annotation, admin_user, annotation.revision)
    assert list(Review.objects.filter(annotation=annotation).values_list("decision", flat=True)) \
        == ["accept", "reject"]


def test_review_of_an_older_revision_is_refused(shared_job, annotator, admin_user):
    annotation = services.submit_annotation(services.open_annotation(shared_job, annotator),
                                            annotator, 0)
    with pytest.raises(AnnotationConflict):
        services.accept_annotation(annotation, admin_user, revision=7)


def test_vocabulary_check_is_skipped_for_a_language_without_one(owner, annotator):
    job = make_job(owner, result=simple_result(), language="sgg")
    annotation = services.open_annotation(job, annotator)
    segments = [dict(s) for s in annotation.segments]
    segments[0]["gloss"] = "KLEINE"
    annotation = edit(annotation, annotator, segments=segments)
    assert services.submit_annotation(annotation, annotator, annotation.revision).status \
        == "submitted"
