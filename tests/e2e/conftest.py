"""End-to-end fixtures: each rendered repository in a fresh environment from its constraints.

The helpers live in ``tests/e2e/environments.py``; test modules render the specs they need
with ``render_and_install`` in module- or session-scoped fixtures, so each repository and
environment is made once per test run.
"""
