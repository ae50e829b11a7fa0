"""Uploaded files: checked against the attachment field, stored below UPLOAD_DIR, one Attachment row each.

A record's attachment field holds attachment ids (fields/files.py); this module makes those ids. The
file is streamed to disk while it is hashed and counted, so an oversized upload is cut off at the
limit instead of being read whole, and the field type's ``check_upload`` decides what is accepted
(size, type, name) before the row is written. Nothing here imports flask: the web and the API pass
the stream and the settings.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.db import transaction, utcnow
from formflow.errors import NotFound, ValidationFailed
from formflow.fields.base import Field
from formflow.forms.models import Form
from formflow.i18n import gettext
from formflow.permissions import policy
from formflow.permissions.actor import Actor
from formflow.records.access import current_version, mask_of
from formflow.records.models import Attachment

#: bytes read from the upload stream at a time
CHUNK_SIZE = 64 * 1024
#: longest stored file name (the column's size)
MAX_FILENAME = 255


@dataclass(frozen=True)
class Upload:
    """A file as the client sent it: its name, declared type and content."""

    filename: str
    content_type: str
    stream: BinaryIO


def upload_field(session: Session, actor: Actor, form: Form, field_key: str) -> Field:
    """The field of ``form`` that takes uploads under ``field_key``, if the actor may fill it in.

    NotFound when there is no such field, it is hidden from the actor, or it is not a file field
    (its type has no ``check_upload``).
    """
    if not (policy.can(actor, "create", form) or policy.can(actor, "update", form)):
        policy.require(actor, "update", form)
    version = current_version(session, form)
    field = version.fields.get(field_key)
    if field is None or not callable(getattr(field.type, "check_upload", None)) \
            or not mask_of(actor, form, version).can_write(field_key):
        raise NotFound(gettext("No such file field."))
    return field


def clean_filename(filename: str) -> str:
    """The base name of a client's file name (no folders), at most ``MAX_FILENAME`` characters."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name.strip()
    stem, dot, suffix = name.rpartition(".")
    if len(name) > MAX_FILENAME:
        name = (stem[: MAX_FILENAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) < 16 \
            else name[:MAX_FILENAME]
    return name


def store_upload(session: Session, actor: Actor, form: Form, field_key: str, upload: Upload, *,
                 upload_dir: str | os.PathLike[str], max_bytes: int) -> Attachment:
    """Check ``upload`` against the field and the instance limit, store it, and add its Attachment.

    Raises ValidationFailed (every reason, on ``field_key``) when the file may not be attached; no
    file is left on disk then.
    """
    field = upload_field(session, actor, form, field_key)
    name = clean_filename(upload.filename)
    field_limit = field.get("max_size")
    limit = min(limit for limit in (field_limit, max_bytes) if limit)
    content_type = (upload.content_type or "application/octet-stream").split(";")[0].strip()[:255]
    # the name and type are checked before reading, so a refused type costs no disk
    early = [error for error in field.type.check_upload(field, name, content_type, 1, max_bytes)
             if error.code != "empty_file"]
    if early:
        raise ValidationFailed(early)
    key = PurePosixPath(str(actor.workspace_id), uuid.uuid4().hex)
    path = Path(upload_dir) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        size, digest = _write(upload.stream, path, limit)
        errors = field.type.check_upload(field, name, content_type, size, max_bytes)
        if errors:
            raise ValidationFailed(errors)
        with transaction(session):
            attachment = Attachment(workspace_id=form.workspace_id, form_id=form.id, field_key=field_key,
                                    filename=name, content_type=content_type, size=size, sha256=digest,
                                    storage_key=str(key), uploaded_by_id=actor.user_id,
                                    created_at=utcnow())
            session.add(attachment)
            session.flush()
        return attachment
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _write(stream: BinaryIO, path: Path, limit: int) -> tuple[int, str]:
    """Copy ``stream`` to ``path``; (size, sha256). Stops one byte past ``limit`` (the size then says so)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("xb") as target:
        while size <= limit:
            chunk = stream.read(min(CHUNK_SIZE, limit + 1 - size))
            if not chunk:
                break
            size += len(chunk)
            digest.update(chunk)
            target.write(chunk)
    return size, digest.hexdigest()


def get_attachments(session: Session, actor: Actor, ids: Iterable[int]) -> list[Attachment]:
    """The attachments of the actor's workspace among ``ids``, in the order asked."""
    wanted = [item for item in dict.fromkeys(ids) if isinstance(item, int) and not isinstance(item, bool)]
    if not wanted:
        return []
    found = {attachment.id: attachment for attachment in session.scalars(select(Attachment).where(
        Attachment.workspace_id == actor.workspace_id, Attachment.id.in_(wanted)))}
    return [found[item] for item in wanted if item in found]


def get_attachment(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    """One attachment of the actor's workspace whose form the actor may read; NotFound otherwise."""
    attachment = session.scalar(select(Attachment).where(Attachment.id == attachment_id,
                                                         Attachment.workspace_id == actor.workspace_id))
    form = session.get(Form, attachment.form_id) if attachment is not None else None
    if attachment is None or form is None or not policy.can(actor, "read", form):
        raise NotFound(gettext("File not found."))
    version = current_version(session, form)
    if attachment.field_key in version.fields and not mask_of(actor, form, version).can_read(
            attachment.field_key):
        raise NotFound(gettext("File not found."))
    return attachment


def attachment_path(upload_dir: str | os.PathLike[str], attachment: Attachment) -> Path:
    """Where an attachment's bytes are on disk."""
    return Path(upload_dir) / attachment.storage_key

