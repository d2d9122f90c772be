"""Load the acceptance traceability plugin for every pytest run of this repository."""

pytest_plugins = ["tests.acceptance.traceability"]
