"""The talque fake: the ticket webhook and the Ticket JSON API (read, list)."""

from .mapping import Client
from .model import TalqueBackend

__all__ = ["Client", "TalqueBackend"]
