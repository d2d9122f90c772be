"""Maintenance scripts of the project (run through ./dev)."""
