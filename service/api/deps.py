"""FastAPI dependencies as ``Annotated`` aliases: settings, stores, pipeline, client."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.analysis import Analyzer
from service.api.state import AppState
from service.errors import Forbidden, NotReady, Unauthorized, UnsupportedMediaType
from service.metrics import Metrics
from service.settings import Settings
from service.storage import JobStore, Principal

__all__ = [
    "AppStateDep",
    "ClientDep",
    "FullClientDep",
    "JsonBodyDep",
    "MetricsDep",
    "PipelineDep",
    "SettingsDep",
    "StoreDep",
    "get_client",
    "media_type",
]

_bearer = HTTPBearer(auto_error=False, description="An API key from `koe keys create`.")


async def get_state(request: Request) -> AppState:
    """Return the state the lifespan built."""
    state: AppState = request.state.koe
    return state


AppStateDep = Annotated[AppState, Depends(get_state)]


async def get_settings(state: AppStateDep) -> Settings:
    """Return the app's settings."""
    return state.settings


async def get_store(state: AppStateDep) -> JobStore:
    """Return the job store."""
    return state.jobs


async def get_metrics(state: AppStateDep) -> Metrics:
    """Return the app's metrics."""
    return state.metrics


async def get_pipeline(state: AppStateDep) -> Analyzer:
    """Return the loaded pipeline, or answer 503 while it is loading."""
    if state.analyzer is None:
        if state.load_error is not None:
            raise NotReady("the pipeline failed to load; see the server log")
        raise NotReady("the pipeline is still loading; retry shortly")
    return state.analyzer


async def get_client(
    state: AppStateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Authenticate ``Authorization: Bearer <key>``; 401 for a missing or unknown key."""
    if credentials is None:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    principal = state.keys.authenticate(credentials.credentials)
    if principal is None:
        raise Unauthorized("unknown or revoked API key")
    return principal


ClientDep = Annotated[Principal, Depends(get_client)]


async def get_full_client(client: ClientDep) -> Principal:
    """Require a key with the ``full`` scope (``reports`` keys may only read reports)."""
    if client.scope != "full":
        raise Forbidden(f"this API key has scope {client.scope!r}; the operation needs 'full'")
    return client


def media_type(request: Request) -> str:
    """The request's content type without parameters, lower-cased (``""`` when absent)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def require_json(request: Request) -> None:
    """Answer 415 unless the body is declared JSON (FastAPI would answer a vague 422)."""
    media = media_type(request)
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType(
            f"unsupported content type {media or '(none)'!r}: send application/json"
        )


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[JobStore, Depends(get_store)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
PipelineDep = Annotated[Analyzer, Depends(get_pipeline)]
FullClientDep = Annotated[Principal, Depends(get_full_client)]
JsonBodyDep = Annotated[None, Depends(require_json)]
