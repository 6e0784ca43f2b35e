"""``GET /v1/packs`` (theme packs with labels) and ``GET /v1/models`` (pipeline)."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import ClientDep, PipelineDep
from service.api.schemas.common import problem_responses
from service.api.schemas.meta import LabelPublic, ModelsPublic, PackPublic, PacksPublic, ThemePublic

__all__ = ["models_router", "packs_router"]

packs_router = APIRouter(prefix="/v1/packs", tags=["packs"])
models_router = APIRouter(prefix="/v1/models", tags=["models"])


@packs_router.get(
    "", name="list", response_model=PacksPublic, responses=problem_responses(401, 503)
)
def list_packs(_client: ClientDep, pipeline: PipelineDep) -> PacksPublic:
    """Theme packs requests may name, with theme labels in Japanese and English."""
    from nlp import load_pack

    packs = []
    for pack_id in pipeline.packs:
        pack = load_pack(pack_id)
        packs.append(
            PackPublic(
                id=pack_id,
                version=pack.version,
                label=LabelPublic(ja=pack.label.ja, en=pack.label.en),
                default=pack_id == pipeline.default_pack,
                themes=[
                    ThemePublic(
                        id=t.id,
                        label=LabelPublic(ja=t.label.ja, en=t.label.en),
                        description=LabelPublic(ja=t.description.ja, en=t.description.en)
                        if t.description
                        else None,
                    )
                    for t in pack.themes
                ],
            )
        )
    return PacksPublic(data=packs, count=len(packs))


@models_router.get(
    "", name="list", response_model=ModelsPublic, responses=problem_responses(401, 503)
)
def list_models(_client: ClientDep, pipeline: PipelineDep) -> ModelsPublic:
    """The loaded pipeline's version and sentiment backend, and the registered backends."""
    from nlp import sentiment_backends

    config = pipeline.pipeline.config
    return ModelsPublic(
        pipeline_version=pipeline.version,
        sentiment_backend=config.sentiment_backend,
        available_backends=sorted(sentiment_backends.names()),
        # the terms the operator redacts are private themselves: only their number shows
        config=config.model_dump(mode="json", exclude={"pii_terms"})
        | {"pii_terms": len(config.pii_terms)},
    )
