"""The workbook's steps, one module each; their order and titles come from
:data:`coachkit.model.vocabulary.STEPS`."""

from __future__ import annotations

from coachkit.app.steps.base import Step
from coachkit.app.steps.confidence import ConfidenceStep
from coachkit.app.steps.deal import DealStep
from coachkit.app.steps.problem import ProblemStep
from coachkit.app.steps.review import ReviewStep
from coachkit.app.steps.risks import RisksStep
from coachkit.app.steps.stakeholders import StakeholdersStep
from coachkit.model.vocabulary import STEPS as ORDER

VIEWS: dict[str, type[Step]] = {view.key: view for view in (
    DealStep, ProblemStep, RisksStep, StakeholdersStep, ConfidenceStep, ReviewStep)}
"""The view of each step, by its key."""

STEPS: tuple[type[Step], ...] = tuple(VIEWS[step.key] for step in ORDER)
"""The step views in the workbook's order."""

__all__ = ["STEPS", "VIEWS", "Step"]
