"""Privacy helpers: pseudonyms are stable and keyed, secrets are redacted."""

from __future__ import annotations

from ..package import REDACTED, fingerprint, pseudonymise, redact


def test_pseudonym_is_stable_for_the_same_salt() -> None:
    """The same identifier and salt give the same pseudonym."""
    assert pseudonymise("patient-42", b"salt") == pseudonymise("patient-42", b"salt")


def test_pseudonym_depends_on_the_salt() -> None:
    """Another salt gives another pseudonym, so pseudonyms cannot be looked up without it."""
    assert pseudonymise("patient-42", b"salt") != pseudonymise("patient-42", b"pepper")


def test_pseudonym_does_not_contain_the_identifier() -> None:
    """The raw identifier does not appear in its pseudonym."""
    assert "patient-42" not in pseudonymise("patient-42", b"salt")


def test_secret_values_are_redacted_recursively() -> None:
    """Values under secret-looking keys are replaced at any depth."""
    value = {"user": "a", "nested": [{"api_key": "k", "Password": "p"}], "auth_token": "t"}
    assert redact(value) == {
        "user": "a",
        "nested": [{"api_key": REDACTED, "Password": REDACTED}],
        "auth_token": REDACTED,
    }


def test_fingerprint_ignores_key_order() -> None:
    """Fingerprints are computed over canonical JSON."""
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
