"""S3 adapter for documents: presigned transfers, streaming reads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

CHUNK = 1024 * 1024
UPLOAD_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 5 * 60


@dataclass(frozen=True)
class StoredObject:
    size: int
    sha256: str
    version_id: str | None
    content: bytes | None = None  # the whole object, when the reader asked to keep it


class DocumentStorage:
    def __init__(self, s3: Any, bucket: str, kms_key_id: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._kms_key_id = kms_key_id

    def upload_form(self, key: str, content_type: str, size: int) -> dict[str, Any]:
        """A presigned POST that accepts exactly `size` bytes of `content_type`, encrypted under our key."""
        fields = {
            "Content-Type": content_type,
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": self._kms_key_id,
        }
        conditions: list[Any] = [
            ["content-length-range", size, size],
            {"Content-Type": content_type},
            {"x-amz-server-side-encryption": "aws:kms"},
            {"x-amz-server-side-encryption-aws-kms-key-id": self._kms_key_id},
        ]
        form = self._s3.generate_presigned_post(
            Bucket=self._bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=UPLOAD_SECONDS,
        )
        return {"url": form["url"], "fields": form["fields"]}

    def read(self, key: str, version_id: str | None = None, keep: int = 0) -> StoredObject | None:
        """Size and SHA-256 of an object, streamed in chunks; None when it is not there.

        With `keep`, also the whole content when it is at most that many bytes: one read, so what a
        caller checks is exactly what was fingerprinted.
        """
        from botocore.exceptions import ClientError

        args: dict[str, Any] = {"Bucket": self._bucket, "Key": key}
        if version_id:
            args["VersionId"] = version_id
        try:
            answer = self._s3.get_object(**args)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "NoSuchVersion", "404", "InvalidArgument"}:
                return None
            raise
        digest = hashlib.sha256()
        size = 0
        kept: list[bytes] | None = [] if keep else None
        for chunk in answer["Body"].iter_chunks(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if kept is not None:
                if size > keep:
                    kept = None  # past the limit: count on, keep nothing
                else:
                    kept.append(chunk)
        content = b"".join(kept) if kept is not None else None
        return StoredObject(size=size, sha256=digest.hexdigest(), version_id=answer.get("VersionId"),
                            content=content)

    def download_url(self, key: str, version_id: str | None, filename: str) -> str:
        params: dict[str, Any] = {
            "Bucket": self._bucket, "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{_safe_filename(filename)}"',
        }
        if version_id:
            params["VersionId"] = version_id
        return str(self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=DOWNLOAD_SECONDS))


def _safe_filename(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in name)[:150]
