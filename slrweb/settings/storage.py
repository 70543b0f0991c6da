"""STORAGES from the environment (issue 11, item 6): a local folder, or an S3-compatible bucket.

SLRWEB_STORAGE=filesystem (default): uploaded videos and registered model bundles (with bundle
uploads waiting for a worker: registry.bundle_store) under MEDIA_ROOT, landmarks under
SLRWEB_LANDMARK_CACHE (default MEDIA_ROOT/landmarks).
SLRWEB_STORAGE=s3: all in one bucket (django-storages' S3Storage, imported only then), videos
and bundles under the "media/" prefix and landmarks under "landmarks/"; every process copies the
bundles it loads into its local SLRWEB_BUNDLE_CACHE. Read from the environment:
AWS_STORAGE_BUCKET_NAME (required), AWS_S3_ENDPOINT_URL (MinIO, Ceph, R2...), AWS_S3_REGION_NAME,
AWS_S3_ADDRESSING_STYLE ("path" for most self-hosted stores), AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY (or any other credential source boto3 knows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FILESYSTEM = "django.core.files.storage.FileSystemStorage"
LANDMARKS_FILESYSTEM = "jobs.files.LandmarkFileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
# Settings of S3Storage read from environment variables of the same name (upper case).
S3_OPTIONS = {
    "bucket_name": "AWS_STORAGE_BUCKET_NAME",
    "endpoint_url": "AWS_S3_ENDPOINT_URL",
    "region_name": "AWS_S3_REGION_NAME",
    "addressing_style": "AWS_S3_ADDRESSING_STYLE",
    "access_key": "AWS_ACCESS_KEY_ID",
    "secret_key": "AWS_SECRET_ACCESS_KEY",
}


class StorageConfigError(ValueError):
    pass


def storages_from_env(env: Mapping[str, str], staticfiles: str) -> dict[str, dict[str, Any]]:
    """The STORAGES setting: "default" (videos, model bundles), "landmarks" and "staticfiles"."""
    kind = env.get("SLRWEB_STORAGE", "filesystem").strip().lower() or "filesystem"
    static = {"BACKEND": staticfiles}
    if kind == "filesystem":
        return {"default": {"BACKEND": FILESYSTEM},
                "landmarks": {"BACKEND": LANDMARKS_FILESYSTEM}, "staticfiles": static}
    if kind != "s3":
        raise StorageConfigError(f"SLRWEB_STORAGE must be 'filesystem' or 's3', not {kind!r}")
    options: dict[str, Any] = {key: env[var] for key, var in S3_OPTIONS.items() if env.get(var)}
    if "bucket_name" not in options:
        raise StorageConfigError("SLRWEB_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    # Uploads are private: no public ACL, and links (if ever made) are signed.
    options.update(default_acl=None, querystring_auth=True, file_overwrite=True)
    return {
        "default": {"BACKEND": S3, "OPTIONS": {**options, "location": "media"}},
        "landmarks": {"BACKEND": S3, "OPTIONS": {**options, "location": "landmarks"}},
        "staticfiles": static,
    }
