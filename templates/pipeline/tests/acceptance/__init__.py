"""Tests of the generated pipeline."""
