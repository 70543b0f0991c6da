"""Signs added without retraining (issue 12, item 4), in the web app: the embedding bundle is
registered under its own task, reference clips are checked and stored like job uploads, the
worker task embeds each clip once per embedding version, and the recognition stage returns an
enrolled sign the active classifier does not know.

Real parts throughout: the committed models/asl-signs-embedding and silfa-letters bundles,
real MP_Data clips of different people (../shared/data/isolated/mpdata_multi) and a real
video for the MediaPipe path; the registry's worker task runs eagerly in this process.
"""

from __future__ import annotations

import csv
import itertools
import tempfile
from pathlib import Path

import numpy as np
import pytest

from jobs import files
from jobs.models import Job
from landmarks.formats.npz import save_npz
from landmarks.formats.parquet import load_parquet
from recognition import enrollment
from registry import selectors, services
from registry.background import start
from registry.errors import RegistryError
from registry.models import Gloss, ReferenceClip, ReferenceEmbedding, RegistryTask

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]
REPO = Path(__file__).resolve().parents[2]
EMBEDDING = REPO / "models" / "asl-signs-embedding"
MPDATA = "isolated/mpdata_multi"
# Two people give the references, a third the job (none of them is one the embedding was
# trained on: metrics.json embedding.held_out_participants).
REFERENCE_PEOPLE = ("akashcodes23-realtime-sign-languagedetection",
                    "ilkerdemir-s-signlanguagedetectionfromwebcam")
QUERY_PERSON = "rishi-11-2-sign_language_detection"


def clips_of(shared_data: Path, person: str, sign: str) -> list[Path]:
    """The person's clips of a sign in train.csv order."""
    root = shared_data / MPDATA
    with open(root / "train.csv") as fh:
        return [root / r["path"] for r in csv.DictReader(fh)
                if r["participant_id"] == person and r["sign"] == sign]


def as_npz(parquet: Path) -> bytes:
    """A GISLR clip as the .npz landmark file an admin (or `slrweb extract`) uploads."""
    with tempfile.TemporaryDirectory() as tmp:
        save_npz(load_parquet(parquet), Path(tmp) / "clip.npz")
        return (Path(tmp) / "clip.npz").read_bytes()


@pytest.fixture
def language(ase):  # noqa: ANN001, ANN201
    """ase with silfa-letters active (letters only) and the sign embedding active."""
    from mlcore.bundle import read_bundle
    from registry.validation import model_glosses

    for name in ("silfa-letters", "asl-signs-embedding"):
        services.add_glosses(ase, model_glosses(read_bundle(REPO / "models" / name)))
        version = services.register_bundle(REPO / "models" / name, ase)
        services.activate_version(version)
    return ase


def enrol(gloss: Gloss, shared_data: Path, sign: str, shots: int) -> list[ReferenceClip]:
    """shots clips of `sign`, taken in turn from the reference people who signed it."""
    lists = [clips_of(shared_data, who, sign) for who in REFERENCE_PEOPLE]
    paths = [p for turn in itertools.zip_longest(*lists) for p in turn if p is not None][:shots]
    return [enrollment.add_reference(gloss, chunks=[as_npz(p)], filename=f"{p.stem}.npz",
                                     signer=p.parent.parent.name) for p in paths]


def test_the_embedding_bundle_registers_as_an_embedding(ase):
    before = selectors.vocabulary(ase)
    version = services.register_bundle(EMBEDDING, ase)  # validated: smoke forward pass included
    assert version.task == "embedding"
    assert selectors.vocabulary(ase) == before  # the labels it was trained on are not glosses
    services.activate_version(version)
    assert selectors.active_model("ase", "embedding") == version
    assert selectors.active_model("ase", "isolated") is None  # it serves no classifier slot


def test_reference_uploads_are_checked_like_job_uploads(language, shared_data, pose_test_video):
    gloss = Gloss.objects.create(language=language, gloss="hello")
    with pytest.raises(RegistryError, match="not a video|cannot be read|could not"):
        enrollment.add_reference(gloss, chunks=[b"not a video at all" * 100],
                                 filename="clip.mp4")
    with pytest.raises(RegistryError, match="npz"):
        enrollment.add_reference(gloss, chunks=[b"garbage"], filename="clip.npz")
    assert not ReferenceClip.objects.exists()  # nothing stored for refused files

    data = as_npz(clips_of(shared_data, REFERENCE_PEOPLE[0], "hello")[0])
    clip = enrollment.add_reference(gloss, chunks=[data], filename="a.npz")
    assert clip.source == "landmarks" and clip.status == "pending"
    assert clip.landmarks_file.startswith("references/")
    with pytest.raises(RegistryError, match="already a reference clip"):
        enrollment.add_reference(gloss, chunks=[data], filename="again.npz")

    video = enrollment.add_reference(gloss, chunks=[pose_test_video.read_bytes()],
                                     filename="clip.mp4")
    assert video.source == "video" and video.video_file.startswith("registry/references/")
    assert files.video_storage().exists(video.video_file) and not video.landmarks_file
    enrollment.delete_reference(video)
    assert not files.video_storage().exists(video.video_file)


def test_the_worker_embeds_each_clip_once_per_embedding_version(language, shared_data):
    hello = Gloss.objects.create(language=language, gloss="hello")
    iloveyou = Gloss.objects.create(language=language, gloss="iloveyou")
    thanks = Gloss.objects.create(language=language, gloss="thankyou")
    clips = enrol(hello, shared_data, "hello", 3) + enrol(iloveyou, shared_data, "iloveyou", 4)
    enrol(thanks, shared_data, "thanks", enrollment.MIN_SHOTS - 1)  # too few to be enrolled

    row = enrollment.start_enrollment(language)
    row.refresh_from_db()
    assert row.status == "succeeded", row.error
    assert row.result["embedded"] == 9 and row.result["failed"] == 0
    assert row.result["signs"] == ["hello", "iloveyou"]  # thankyou has 2 of the 3 it needs
    assert set(ReferenceClip.objects.values_list("status", flat=True)) == {"ready"}

    # The stored vector is the embedding of the clip's own landmarks.
    from registry.runtime import get_predictor

    version = selectors.active_model("ase", "embedding")
    first = ReferenceEmbedding.objects.get(clip=clips[0], version=version)
    expected = get_predictor(version).embed(files.read_landmarks(clips[0].landmarks_file).points)
    assert np.allclose(first.vector, expected, atol=1e-6)

    again = enrollment.start_enrollment(language)
    again.refresh_from_db()
    assert again.result["embedded"] == 0  # cached: nothing is embedded twice
    assert ReferenceEmbedding.objects.count() == 9

    found = enrollment.enrolled_vocabulary("ase")
    assert found is not None
    vocabulary = found[1]
    assert vocabulary.glosses == ["hello", "iloveyou"] and len(vocabulary.references) == 7
    assert {c["participant"] for c in vocabulary.clips} == set(REFERENCE_PEOPLE)
    assert -1.0 < vocabulary.threshold < 1.0


def test_enrolling_needs_an_active_embedding(ase):
    with pytest.raises(RegistryError, match="no sign embedding is active"):
        enrollment.start_enrollment(ase)
    assert not RegistryTask.objects.exists()


def test_a_job_of_another_person_returns_the_enrolled_sign(language, shared_data):
    from jobs.services import create_landmarks_job
    from recognition.services import recognize_job, serves_language

    iloveyou = Gloss.objects.create(language=language, gloss="iloveyou")
    hello = Gloss.objects.create(language=language, gloss="hello")
    enrol(iloveyou, shared_data, "iloveyou", 5)
    enrol(hello, shared_data, "hello", 5)
    start(RegistryTask.Kind.ENROLL, language=language, task="embedding",
          version=selectors.active_model("ase", "embedding"))
    assert serves_language("ase")

    query = clips_of(shared_data, QUERY_PERSON, "iloveyou")[0]
    job = create_landmarks_job(chunks=[as_npz(query)], filename="query.npz", owner=None,
                               language="ase")
    reports: list[int] = []

    class Report:
        def __call__(self, percent: int, **partial: object) -> None:
            reports.append(percent)

        def event(self, event: dict) -> None:
            pass

    job = Job.objects.get(pk=job.pk)
    recognize_job(job, Report())
    result = job.result["recognition"]
    assert result["model"].startswith("silfa-letters@")  # the classifier still answers
    assert result["enrolled"]["model"].startswith("asl-signs-embedding@")
    assert result["enrolled"]["signs"] == ["hello", "iloveyou"]
    enrolled = [s for s in result["segments"] if s["source"] == "enrolled"]
    assert enrolled and enrolled[0]["topk"][0]["gloss"] == "iloveyou"
    assert reports[-1] == 100 and reports == sorted(reports)


def test_enrolled_signs_alone_give_a_language_its_recognition_stage(ase, shared_data):
    from recognition.services import serves_language

    services.activate_version(services.register_bundle(EMBEDDING, ase))
    assert not serves_language("ase")  # no classifier, nothing enrolled
    hello = Gloss.objects.create(language=ase, gloss="hello")
    enrol(hello, shared_data, "hello", enrollment.MIN_SHOTS)
    assert not serves_language("ase")  # stored, not yet embedded
    enrollment.start_enrollment(ase)
    assert serves_language("ase") and enrollment.enrolled_signs("ase") == ["hello"]
