"""The vendor fakes: one package per vendor, each a model (rules, state) and its routes (HTTP)."""
