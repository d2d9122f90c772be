"""Benchmarks of this repository (run one with ``python -m benchmarks.<name>``)."""
