"""ASGI middleware refusing request bodies over ``KOE_MAX_BODY_BYTES`` with 413.

Some paths have a smaller limit (``KOE_MAX_SYNC_BODY_BYTES`` for ``/v1/analyses``): a body
is parsed whole before its comments are counted, so its size bounds the memory it costs.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import problem_response

__all__ = ["BodyLimitMiddleware"]


class BodyLimitMiddleware:
    """Check ``Content-Length`` up front and count streamed bytes as they arrive."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_path: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse early when the declared size is too big; otherwise stop reading at it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"].rstrip("/"), self.max_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            detail = _detail(limit)
            response = problem_response(413, "payload_too_large", detail, scope["path"])
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _detail(limit))
            return message

        await self.app(scope, limited_receive, send)


def _detail(limit: int) -> str:
    return (
        f"the request body is larger than {limit:,} bytes; "
        "send fewer comments per request or split the file into several jobs"
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
