"""The project's benchmark: each figure against its baseline, measured in the same run.

Run ``python -m benchmarks [--quick] [--json OUT]`` from a checkout with the project
installed; see ``benchmarks/__main__.py``.
"""
