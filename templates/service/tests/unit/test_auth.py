"""Authentication and authorisation: hashed API keys, verified JWTs, deny by default."""

from __future__ import annotations

import hashlib
import shlex

import pytest
from pydantic import ValidationError

from ..package import (
    ApiKey,
    JwksKeys,
    Permission,
    Settings,
    allowed,
    hash_key,
    main,
    principal_from_api_key,
    principal_from_jwt,
    project,
)
from tests.support import (
    ADMIN_ROLE,
    JWT_SECRET,
    UNKNOWN_ROLE,
    actor,
    api_key,
    make_token,
)

USER_ROLE = project.roles()[0]


def test_keys_are_configured_by_sha256_digest() -> None:
    """An API key is configured as the hex SHA-256 of the key."""
    assert hash_key("abc") == hashlib.sha256(b"abc").hexdigest()


def test_hash_key_prints_an_export_line_the_settings_accept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """hash-key's export line, pasted into a shell, configures exactly the printed key."""
    assert main(["hash-key", "--role", USER_ROLE, "--actor", "O'Brien <ob@example.com>"]) == 0
    lines = capsys.readouterr().out.splitlines()
    new_key = lines[0].rsplit(": ", 1)[1]
    words = shlex.split(lines[-1].split(": ", 1)[1])
    assert words[0] == "export"
    name, value = words[1].split("=", 1)
    monkeypatch.setenv(name, value)
    assert [(k.sha256, k.actor, k.role) for k in Settings().api_keys] == [
        (hash_key(new_key), "O'Brien <ob@example.com>", USER_ROLE)
    ]


def test_hash_key_refuses_a_role_the_spec_does_not_have(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A mistyped role gets a usage error, not a key that every endpoint refuses."""
    with pytest.raises(SystemExit) as exit_info:
        main(["hash-key", "--role", UNKNOWN_ROLE, "--actor", "someone"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_plain_key_is_refused_as_configuration() -> None:
    """Settings refuse an API key given in clear instead of its digest."""
    with pytest.raises(ValidationError):
        ApiKey(sha256="my-secret-key", actor="someone", role=USER_ROLE)


def test_api_key_resolves_to_its_owner_and_role(settings: Settings) -> None:
    """A configured key authenticates its owner with its role."""
    principal = principal_from_api_key(api_key(USER_ROLE), settings)
    assert principal is not None
    assert (principal.actor, principal.role) == (actor(USER_ROLE), USER_ROLE)


def test_unknown_api_key_is_refused(settings: Settings) -> None:
    """A key that is not configured authenticates nobody."""
    assert principal_from_api_key("not-a-configured-key", settings) is None


def test_valid_jwt_resolves_to_subject_and_role(settings: Settings) -> None:
    """A token with the right issuer, audience and signature authenticates its subject."""
    principal = principal_from_jwt(make_token({"sub": "alice", "role": USER_ROLE}), settings)
    assert principal is not None
    assert (principal.actor, principal.role, principal.method) == ("alice", USER_ROLE, "jwt")


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "another-service"},
        {"iss": "https://attacker.test"},
        {"exp": 1},
        {"role": None},
    ],
    ids=["audience", "issuer", "expired", "no-role"],
)
def test_jwt_with_wrong_claims_is_refused(settings: Settings, claims: dict[str, object]) -> None:
    """Tokens for another audience or issuer, expired or without a role are refused."""
    token = make_token({"role": USER_ROLE, **claims})
    assert principal_from_jwt(token, settings) is None


def test_jwt_signed_with_another_key_is_refused(settings: Settings) -> None:
    """A token signed with a different secret is refused."""
    token = make_token({"role": USER_ROLE}, secret="another-secret-" + "y" * 48)
    assert principal_from_jwt(token, settings) is None


def test_jwt_with_algorithm_outside_allowlist_is_refused(settings: Settings) -> None:
    """A token using an algorithm outside the allowlist is refused, even with the right key."""
    token = make_token({"role": USER_ROLE}, secret=JWT_SECRET, algorithm="HS512")
    assert principal_from_jwt(token, settings) is None


def test_unsigned_jwt_is_refused(settings: Settings) -> None:
    """A token with algorithm 'none' is refused."""
    token = make_token({"role": USER_ROLE}, secret="", algorithm="none")
    assert principal_from_jwt(token, settings) is None


def test_each_role_holds_exactly_what_spec_yaml_can_lists() -> None:
    """Permissions come from users[].can only: nothing more, nothing less."""
    for user in project.spec()["users"]:
        expected = {str(p) for p in user.get("can", ["request", "read"])}
        assert {p.value for p in Permission if allowed(user["role"], p)} == expected


def test_the_admin_role_runs_the_service_but_decides_nothing() -> None:
    """The built-in admin role may operate, audit and read; never request or review."""
    assert {p.value for p in Permission if allowed(ADMIN_ROLE, p)} == {"operate", "audit", "read"}


def test_unknown_role_holds_no_permission() -> None:
    """A role that spec.yaml does not name is denied everything (deny by default)."""
    assert not any(allowed(UNKNOWN_ROLE, permission) for permission in Permission)


class _CountingKeys:
    """A JWKS endpoint that counts how often it is fetched."""

    def __init__(self) -> None:
        self.fetches = 0

    def get_signing_keys(self, refresh: bool = False) -> list[object]:
        self.fetches += 1
        return []


def test_unknown_key_ids_refetch_the_jwks_at_most_once_a_minute() -> None:
    """Tokens naming unknown key ids cannot make the service hammer the identity provider."""
    now = [0.0]
    keys = JwksKeys("https://idp.test/jwks", clock=lambda: now[0])
    endpoint = _CountingKeys()
    keys._client = endpoint  # type: ignore[assignment]  # the test stands in for the network
    token = make_token({"role": USER_ROLE}, secret=JWT_SECRET)
    forged = [jwt_with_kid(token, f"kid-{n}") for n in range(20)]
    assert all(keys.key(t) is None for t in forged)
    assert endpoint.fetches == 1
    now[0] = 61.0
    assert keys.key(forged[0]) is None
    assert endpoint.fetches == 2


def jwt_with_kid(token: str, kid: str) -> str:
    """Return ``token`` re-signed with a ``kid`` header (the key id an attacker chooses)."""
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256", headers={"kid": kid})
