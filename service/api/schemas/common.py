"""Schemas shared by every resource: the problem object and attribute values."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["AttributeValue", "Problem", "problem_responses"]

#: group-column values are scalars, so they can be grouped on
AttributeValue = str | int | float | bool | None


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every 4xx/5xx response."""

    type: str = Field(examples=["urn:koe:problem:not_found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no job '3f0c…' for this API key"])
    instance: str = Field(examples=["/v1/jobs/3f0c…"])
    code: str = Field(examples=["not_found"])
    errors: list[dict[str, Any]] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json for the given statuses."""
    return {
        status: {
            "model": Problem,
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for status in statuses
    }
