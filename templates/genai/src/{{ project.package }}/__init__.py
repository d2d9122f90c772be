"""A GenAI assistant or agent generated from spec.yaml by new-ai-project (see ``project.json``)."""

__version__ = "0.1.0"
