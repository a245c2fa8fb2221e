"""ticketfakes: stateful local fakes and contract checks for ticketing APIs."""

__version__ = "0.1.0"
