"""The workbook's steps, one module each, in the order a seller works through a deal."""

from __future__ import annotations

from coachkit.app.steps.base import Step
from coachkit.app.steps.confidence import ConfidenceStep
from coachkit.app.steps.deal import DealStep
from coachkit.app.steps.problem import ProblemStep
from coachkit.app.steps.review import ReviewStep
from coachkit.app.steps.risks import RisksStep
from coachkit.app.steps.stakeholders import StakeholdersStep

STEPS: tuple[type[Step], ...] = (
    DealStep, ProblemStep, RisksStep, StakeholdersStep, ConfidenceStep, ReviewStep)

__all__ = ["STEPS", "Step"]
