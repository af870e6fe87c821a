"""Deterministic synthetic CRM generator (demo, tests, benchmarks)."""

from crmlens.synth.generator import generate  # noqa: F401
