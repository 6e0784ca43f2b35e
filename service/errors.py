"""Service errors and their one rendering: RFC 9457 ``application/problem+json``.

Routes raise :class:`ServiceError` subclasses (or library ``FeedbackError``s) and
never build error JSON; :func:`problem_body` is the only place the body is made.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from nlp import FeedbackError, InputError, UnknownPackError

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "BatchTooLarge",
    "Forbidden",
    "IdempotencyKeyConflict",
    "InvalidParameter",
    "JobNotReady",
    "NotFound",
    "NotReady",
    "PayloadTooLarge",
    "ServiceError",
    "Unauthorized",
    "UnsupportedMediaType",
    "install_error_handlers",
    "problem_body",
    "problem_response",
]

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_PREFIX = "urn:koe:problem:"
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


class ServiceError(Exception):
    """Base of errors the API reports; ``status`` and ``code`` are class attributes."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})


class Unauthorized(ServiceError):
    """Missing, malformed, unknown or revoked API key."""

    status, code = 401, "unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="koe"'})


class Forbidden(ServiceError):
    """The key's scope does not allow the operation."""

    status, code = 403, "forbidden"


class NotFound(ServiceError):
    """No such resource for this tenant."""

    status, code = 404, "not_found"


class IdempotencyKeyConflict(ServiceError):
    """The Idempotency-Key was used with a different request body."""

    status, code = 409, "idempotency_conflict"


class JobNotReady(ServiceError):
    """A report was asked for before the job succeeded."""

    status, code = 409, "job_not_ready"


class PayloadTooLarge(ServiceError):
    """The request body is larger than the configured limit."""

    status, code = 413, "payload_too_large"


class BatchTooLarge(ServiceError):
    """Too many comments in one request."""

    status, code = 413, "batch_too_large"


class UnsupportedMediaType(ServiceError):
    """The request body is neither JSON nor multipart form data."""

    status, code = 415, "unsupported_media_type"


class InvalidParameter(ServiceError):
    """A parameter is well-formed but not acceptable; ``code`` is given per instance."""

    status = 422

    def __init__(self, detail: str, code: str = "invalid_parameter") -> None:
        super().__init__(detail)
        self.code = code  # type: ignore[misc]  # narrows the class default per instance


class NotReady(ServiceError):
    """The pipeline is still loading or the database is unreachable; retry after a while."""

    status, code = 503, "not_ready"
    retry_after_seconds: ClassVar[int] = 5

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": str(self.retry_after_seconds)})


def problem_body(
    status: int,
    code: str,
    detail: str,
    instance: str,
    *,
    errors: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return the RFC 9457 problem object every 4xx/5xx response carries.

    Example:
        >>> problem_body(404, "not_found", "no job 'x'", "/v1/jobs/x")["title"]
        'Not Found'
    """
    body: dict[str, Any] = {
        "type": _TYPE_PREFIX + code,
        "title": _title(status),
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    if errors is not None:
        body["errors"] = list(errors)
    return body


def problem_response(
    status: int,
    code: str,
    detail: str,
    instance: str,
    *,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Wrap :func:`problem_body` in a response with the problem media type."""
    return JSONResponse(
        problem_body(status, code, detail, instance, errors=errors),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every error the app can raise through :func:`problem_response`."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(FeedbackError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return problem_response(exc.status, exc.code, exc.detail, request.url.path, headers=exc.headers)


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FeedbackError)
    status = 422 if isinstance(exc, InputError | UnknownPackError) else 500
    if status == 500:
        logger.error("library error: %s", exc.message)
    return problem_response(status, exc.code, exc.message, request.url.path)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    return problem_response(422, "validation_error", detail, request.url.path, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return problem_response(
        exc.status_code, code, str(exc.detail), request.url.path, headers=exc.headers
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s", request.url.path, exc_info=exc)
    return problem_response(
        500, "internal_error", "internal server error; see the server log", request.url.path
    )


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
