"""The Gomry fake: attendees (tickets) on events, with capacity, contact upsert and invite upgrades."""

from .model import GomryBackend

__all__ = ["GomryBackend"]
