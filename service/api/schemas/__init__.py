"""Request and response schemas, one module per resource."""

from __future__ import annotations

from service.api.schemas.analyses import AnalysesPublic, AnalysisCreate, AnalysisPublic, CommentIn
from service.api.schemas.common import Problem
from service.api.schemas.jobs import JobCreate, JobPublic, ResultsPage
from service.api.schemas.meta import HealthPublic, ModelsPublic, PackPublic, PacksPublic
from service.api.schemas.reports import GroupPublic, ReportPublic

__all__ = [
    "AnalysesPublic",
    "AnalysisCreate",
    "AnalysisPublic",
    "CommentIn",
    "GroupPublic",
    "HealthPublic",
    "JobCreate",
    "JobPublic",
    "ModelsPublic",
    "PackPublic",
    "PacksPublic",
    "Problem",
    "ReportPublic",
    "ResultsPage",
]
