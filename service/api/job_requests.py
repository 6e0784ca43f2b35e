"""Read ``POST /v1/jobs`` bodies: JSON (``JobCreate``) or a multipart file upload."""

from __future__ import annotations

import codecs
import json
import logging
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from service.analysis import Analyzer, check_attributes, read_upload, too_many_attributes
from service.api.convert import (
    check_group_columns,
    check_json_sizes,
    new_comments,
    request_hash,
)
from service.api.deps import media_type
from service.api.schemas.jobs import JobCreate
from service.errors import InvalidParameter, ServiceError, UnsupportedMediaType
from service.settings import Settings
from service.storage import NewJob

__all__ = ["JOB_REQUEST_BODY", "parse_job_request"]

logger = logging.getLogger(__name__)

_FORM_FIELDS = ("pack", "text_column", "id_column", "group_columns")

#: OpenAPI ``requestBody`` of ``POST /v1/jobs`` (two media types on one operation)
JOB_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/JobCreate"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary",
                             "description": "CSV/TSV (UTF-8, UTF-8 BOM, CP932), JSON(L) or xlsx"},
                    "pack": {"type": "string"},
                    "text_column": {"type": "string", "default": "text"},
                    "id_column": {"type": "string", "default": "id"},
                    "group_columns": {"type": "string", "description": "e.g. dept,wave"},
                },
            }
        },
    },
}  # fmt: skip


async def parse_job_request(
    request: Request, analyzer: Analyzer, settings: Settings, idempotency_key: str | None
) -> NewJob:
    """Read and check a job request of either media type.

    Raises:
        UnsupportedMediaType: neither JSON nor multipart.
        RequestValidationError: the JSON does not match ``JobCreate``.
        ServiceError: a limit or parameter check failed.
    """
    media = media_type(request)
    if media == "application/json":
        body = await request.body()
        return await run_in_threadpool(_from_json, body, analyzer, settings, idempotency_key)
    if media == "multipart/form-data":
        async with request.form(max_files=1, max_fields=len(_FORM_FIELDS) + 1) as form:
            upload = form.get("file")
            if isinstance(upload, str):  # a plain form field: curl -F 'file=<survey.csv'
                raise InvalidParameter(
                    "the 'file' part must be a file upload, not a form field: "
                    "e.g. curl -F 'file=@survey.csv'",
                    code="missing_file",
                )
            if not isinstance(upload, UploadFile):
                raise InvalidParameter(
                    "multipart upload needs a 'file' part: e.g. curl -F 'file=@survey.csv'",
                    code="missing_file",
                )
            fields = {k: v for k in _FORM_FIELDS if isinstance(v := form.get(k), str)}
            data = await upload.read()
            filename = upload.filename
        return await run_in_threadpool(
            _from_upload, data, filename, fields, analyzer, settings, idempotency_key
        )
    raise UnsupportedMediaType(
        f"unsupported content type {media or '(none)'!r}: send application/json "
        "or multipart/form-data with a 'file' part"
    )


def _from_json(body: bytes, analyzer: Analyzer, settings: Settings, key: str | None) -> NewJob:
    check_json_sizes(
        body, max_comments=settings.max_job_comments, max_attributes=settings.max_job_attributes
    )
    try:  # a leading UTF-8 BOM, as /v1/analyses accepts (Windows tools write one)
        spec = _job_spec(body.removeprefix(codecs.BOM_UTF8))
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
    pack = analyzer.check_pack(spec.pack or analyzer.default_pack)
    comments = new_comments(
        spec.comments,
        max_comments=settings.max_job_comments,
        max_chars=settings.max_comment_chars,
        hint="Split the batch into several jobs.",
    )
    if sum(len(c.attributes) for c in comments) > settings.max_job_attributes:
        raise too_many_attributes(settings.max_job_attributes)  # past what the walk saw
    declared = spec.group_columns
    if declared is None:  # every attribute key, held to the limits of named columns
        declared = sorted({k for c in comments for k in c.attributes})
    columns = check_group_columns(declared, settings.report_max_group_columns)
    digest = request_hash(spec.model_dump(mode="json"))
    return NewJob(pack, comments, digest, columns, key)


def _job_spec(raw: bytes) -> JobCreate:
    """Parse a job body; a lone surrogate escape is named as /v1/analyses names it.

    pydantic's JSON parser refuses such an escape as invalid JSON ("unexpected end of hex
    escape"); Python's reads it, and the field validators then say which comment holds it.
    Only UTF-8 is read again (the size walk before the parse counts UTF-8 bodies only).
    """
    try:
        return JobCreate.model_validate_json(raw)
    except ValidationError as exc:
        if exc.errors()[0]["type"] != "json_invalid":
            raise
        try:
            value = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            raise exc from None
        return JobCreate.model_validate(value)


def _from_upload(
    data: bytes,
    filename: str | None,
    fields: dict[str, str],
    analyzer: Analyzer,
    settings: Settings,
    key: str | None,
) -> NewJob:
    from nlp import FeedbackError

    digest = request_hash({**fields, "filename": filename or ""}, data)
    if filename is not None and Path(filename).suffix.lower() == ".json":
        check_json_sizes(
            data,
            max_comments=settings.max_job_comments,
            max_attributes=settings.max_job_attributes,
        )
    body = _api_body(data, filename)
    pack = analyzer.check_pack(fields.get("pack") or _body_pack(body) or analyzer.default_pack)
    named = fields.get("group_columns", "")
    declared = named.split(",") if named.strip(" ,") else _body_group_columns(body)
    limit = settings.report_max_group_columns
    columns = check_group_columns(declared or [], limit)
    if body is not None and _body_pack(body) not in (None, pack):  # the form's pack wins
        data = json.dumps({**body, "pack": None}).encode()  # rows' own "pack" still count
    try:
        comments = read_upload(
            data,
            filename,
            text_column=fields.get("text_column") or "text",
            id_column=fields.get("id_column") or "id",
            group_columns=columns,
            packs=analyzer.packs,
            max_comments=settings.max_job_comments,
            max_chars=settings.max_comment_chars,
            max_attributes=settings.max_job_attributes,
        )
    except (FeedbackError, ServiceError):
        raise
    except Exception as exc:  # noqa: BLE001 — a corrupt upload is the client's error, not a 500
        logger.warning("could not read upload %r", filename, exc_info=True)
        raise InvalidParameter(
            f"could not read the file: {type(exc).__name__}: {exc}", code="invalid_input"
        ) from None
    check_attributes(comments)
    if declared is None:  # every attribute key, held to the limits of named columns
        columns = check_group_columns(sorted({k for c in comments for k in c.attributes}), limit)
    return NewJob(pack, comments, digest, columns, key)


def _api_body(data: bytes, filename: str | None) -> dict[str, Any] | None:
    """The top level of an uploaded ``.json`` that is an API body (``comments`` array)."""
    if filename is None or Path(filename).suffix.lower() != ".json":
        return None
    from nlp import FeedbackError
    from nlp.io import decode_bytes

    try:
        value = json.loads(decode_bytes(data))
    except (FeedbackError, ValueError, RecursionError):  # read_upload says what is wrong
        return None
    if isinstance(value, dict) and isinstance(value.get("comments"), list):
        return value
    return None


def _body_pack(body: dict[str, Any] | None) -> str | None:
    """The ``pack`` of an uploaded API body, if it names one."""
    if body is None or body.get("pack") in (None, ""):
        return None
    return str(body["pack"])


def _body_group_columns(body: dict[str, Any] | None) -> list[str] | None:
    """The ``group_columns`` of an uploaded API body: ``None`` means every attribute key."""
    if body is None:
        return []
    declared = body.get("group_columns")
    if declared is None:
        return None
    if not isinstance(declared, list) or not all(isinstance(c, str) for c in declared):
        raise InvalidParameter(
            "the file's group_columns must be an array of column names",
            code="invalid_group_columns",
        )
    return declared
