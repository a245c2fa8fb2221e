"""Serve one mutant: `python -m tests.mutants.serve NAME [--port 0] [any other `ticketfakes serve` option]`.

The mutant's patch is applied, then `ticketfakes serve` itself runs (same app, same socket handling,
same "ticketfakes serving on URL" line), so `ticketfakes check VENDOR --base-url URL` can be pointed at
a broken implementation over real HTTP. NAME `none` serves the real fakes the same way (the control).
Run it from the repository root (the `tests` package must be importable).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from ticketfakes.cli import main as ticketfakes_main
from ticketfakes.server import ServedProcess

from .catalogue import MUTANTS

ROOT = Path(__file__).resolve().parents[2]
CONTROL = "none"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mutants.serve",
        description="Serve a deliberately broken fake (a mutant); other options go to `ticketfakes serve`.",
    )
    parser.add_argument("mutant", choices=[CONTROL, *MUTANTS], metavar="NAME",
                        help=f"a mutant of tests/mutants/catalogue.py, or `{CONTROL}` for the real fakes")
    args, serve_args = parser.parse_known_args(argv)
    with pytest.MonkeyPatch.context() as monkeypatch:
        if args.mutant == CONTROL:
            print("mutant none: the real fakes", flush=True)
        else:
            mutant = MUTANTS[args.mutant]
            mutant.patch(monkeypatch)
            print(f"mutant {mutant.name} ({mutant.vendor}): {mutant.description}", flush=True)
        return ticketfakes_main(["serve", *serve_args])


class ServedMutant(ServedProcess):
    """`python -m tests.mutants.serve NAME --port 0` as a subprocess; reuses `ServedProcess`'s start-up
    wait (the "ticketfakes serving on URL" line, then a ready probe), output drain and stop."""

    def __init__(self, name: str, extra_args: tuple[str, ...] = (), timeout: float = 30.0) -> None:
        self._spawn([sys.executable, "-m", "tests.mutants.serve", name, "--port", "0", *extra_args], ROOT, timeout)


if __name__ == "__main__":
    sys.exit(main())
