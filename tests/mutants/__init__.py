"""Mutants: deliberately broken variants of the fakes, each breaking one business rule of one vendor.

`catalogue.MUTANTS` lists them; `python -m tests.mutants.serve NAME` serves one the way `ticketfakes
serve` serves the real fakes; tests/test_mutants.py proves `ticketfakes check` fails on each, naming
the broken rule, and passes on the real fakes. A mutant only monkeypatches (a model method, a route's
error shape, a Pipeline step); no source file is ever edited.
"""
