"""An HTTP API service generated from spec.yaml by new-ai-project (see ``project.json``)."""

__version__ = "0.1.0"
