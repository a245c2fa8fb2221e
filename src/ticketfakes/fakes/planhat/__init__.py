"""The Planhat fake: `/tickets` bulk upsert, list and delete (rules in `model.py`)."""

from .model import PlanhatBackend

__all__ = ["PlanhatBackend"]
