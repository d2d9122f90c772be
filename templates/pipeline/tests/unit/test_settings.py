"""Unit tests for settings and access control: deny by default, identity never from a variable."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ..package import (
    ACTIONS,
    DATABASE_URL_ENV,
    DB_ENV,
    DEFAULT_SALT,
    PREFIX,
    RUNNER_ROLE,
    AccessDenied,
    Settings,
    SettingsError,
    authenticate,
    authorize,
    os_account,
    project,
)
from tests.support import (
    Cli,
    identity,
    person,
    role_with,
    role_without,
    secret,
    use_credentials,
)

STRONG = "s" * 40
"""A secret long enough for production."""
PRODUCTION = {
    PREFIX + "ENVIRONMENT": "production",
    PREFIX + "PRIVACY_SALT": "salt-" + STRONG,
    PREFIX + "AUDIT_KEY": "key-" + STRONG,
    DATABASE_URL_ENV: "postgresql://pipeline:pw@db.internal:5432/audit",
}
"""What production needs: its secrets, long enough, and the PostgreSQL database."""
DEV = {PREFIX + "ENVIRONMENT": "development"}


def test_settings_come_from_the_environment() -> None:
    """Every setting can be given by an environment variable."""
    settings = Settings.from_env({**PRODUCTION, PREFIX + "OUTPUT_DIR": "/srv/x"})
    assert (settings.output_dir, settings.environment) == (Path("/srv/x"), "production")
    assert settings.audit_key == PRODUCTION[PREFIX + "AUDIT_KEY"]


def test_unset_the_environment_is_production() -> None:
    """A scheduler that forgets the setting runs with production's checks, never development's."""
    with pytest.raises(SettingsError):
        Settings.from_env({})
    assert Settings.from_env({k: v for k, v in PRODUCTION.items() if "ENVIRONMENT" not in k})


def test_an_actor_or_role_variable_is_not_read() -> None:
    """ACTOR and ROLE naming an administrator change nothing: a run is the OS account's."""
    env = {**DEV, PREFIX + "ACTOR": "mallory", PREFIX + "ROLE": project.admin_role()}
    settings = Settings.from_env(env)
    assert settings.runner == os_account() != "mallory"
    assert not hasattr(settings, "actor") and not hasattr(settings, "role")


@pytest.mark.parametrize("environment", ["staging", "production"])
@pytest.mark.parametrize("variable", ["PRIVACY_SALT", "AUDIT_KEY"])
def test_a_default_secret_is_refused_outside_development_and_test(
    environment: str, variable: str
) -> None:
    """The published defaults would make pseudonyms reversible and records forgeable."""
    env = {**PRODUCTION, PREFIX + "ENVIRONMENT": environment}
    for value in ("", None):
        changed = {k: v for k, v in env.items() if k != PREFIX + variable}
        if value is not None:
            changed[PREFIX + variable] = value
        with pytest.raises(SettingsError, match=PREFIX + variable):
            Settings.from_env(changed)


@pytest.mark.parametrize("variable", ["PRIVACY_SALT", "AUDIT_KEY"])
def test_production_refuses_a_secret_shorter_than_32_characters(variable: str) -> None:
    """A one-character salt or key is refused in production, in one line naming it."""
    with pytest.raises(SettingsError, match=PREFIX + variable) as refused:
        Settings.from_env({**PRODUCTION, PREFIX + variable: "x"})
    assert "32" in str(refused.value) and "\n" not in str(refused.value)


def test_production_refuses_the_sqlite_file() -> None:
    """Without a PostgreSQL database production does not start: one line names the variable."""
    env = {k: v for k, v in PRODUCTION.items() if k != DATABASE_URL_ENV}
    with pytest.raises(SettingsError, match=DATABASE_URL_ENV):
        Settings.from_env(env)


def test_migrate_needs_only_the_database(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The owner migrating needs no salt or key: the command reads where the database is."""
    for name in ("ENVIRONMENT", "PRIVACY_SALT", "AUDIT_KEY"):  # as the deployment's init step
        monkeypatch.delenv(PREFIX + name)
    done = cli(["migrate"])
    assert done.code == 0, done.err


@pytest.mark.parametrize("environment", ["development", "test"])
def test_the_default_salt_is_allowed_in_development_and_test(environment: str) -> None:
    """Local runs and test suites need no secret store."""
    assert Settings.from_env({PREFIX + "ENVIRONMENT": environment}).privacy_salt == DEFAULT_SALT


def test_an_unknown_environment_is_refused() -> None:
    """A typo in the environment's name cannot slip past the salt check."""
    with pytest.raises(SettingsError, match="ENVIRONMENT"):
        Settings.from_env({PREFIX + "ENVIRONMENT": "prod"})


def test_the_database_url_wins_over_the_sqlite_file() -> None:
    """With a URL set the audit log is on PostgreSQL; without one, in the SQLite file."""
    url = "postgresql://pipeline:pw@db.internal:5432/audit"
    assert Settings.from_env({**DEV, DATABASE_URL_ENV: url}).database_location() == url
    assert Settings.from_env({**DEV, DB_ENV: "x.sqlite3"}).database_location() == "x.sqlite3"


@pytest.mark.parametrize(
    "url", ["mysql://pipeline:hunter2@db/audit", "sqlite:///hunter2.sqlite3", "hunter2"]
)
def test_a_database_url_that_is_not_postgresqls_is_refused_without_echoing_it(url: str) -> None:
    """Only postgresql:// is taken (the SQLite file has its own variable); the URL is not shown."""
    with pytest.raises(SettingsError, match="postgresql://") as refused:
        Settings.from_env({**DEV, DATABASE_URL_ENV: url})
    assert "hunter2" not in str(refused.value)


def test_a_bad_database_url_stops_the_command_line_in_one_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A configuration error: exit 2, one line naming the variable, no traceback."""
    monkeypatch.setenv(DATABASE_URL_ENV, "mysql://pipeline:hunter2@db/audit")
    done = cli(["run"])
    assert done.code == 2 and DATABASE_URL_ENV in done.err
    assert len(done.err.strip().splitlines()) == 1 and "hunter2" not in done.err


def test_the_database_url_is_never_shown() -> None:
    """The URL may hold a password: the settings' repr leaves it out."""
    settings = Settings.from_env({**DEV, DATABASE_URL_ENV: "postgresql://pipeline:hunter2@db/a"})
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_POOL_MIN": "5", "DATABASE_POOL_MAX": "2"}, "DATABASE_POOL_MIN"),
        ({"DATABASE_POOL_MAX": "0"}, "DATABASE_POOL_MAX"),
        ({"DATABASE_POOL_MAX": "ten"}, "DATABASE_POOL_MAX"),
        ({"DATABASE_POOL_TIMEOUT": "0"}, "DATABASE_POOL_TIMEOUT"),
        ({"DATABASE_POOL_TIMEOUT": "soon"}, "DATABASE_POOL_TIMEOUT"),
        ({"DATABASE_POOL_TIMEOUT": "inf"}, "DATABASE_POOL_TIMEOUT"),
        ({"DATABASE_POOL_TIMEOUT": "nan"}, "DATABASE_POOL_TIMEOUT"),
    ],
)
def test_pool_settings_out_of_bounds_are_refused(env: dict[str, str], named: str) -> None:
    """Pool bounds in the wrong order, or that are not finite numbers, are refused by name."""
    with pytest.raises(SettingsError, match=PREFIX + named):
        Settings.from_env({**DEV, **{PREFIX + name: value for name, value in env.items()}})


def test_the_runner_role_holds_no_permission() -> None:
    """Unattended runs are recorded under a role no spec role can be, allowed nothing."""
    assert RUNNER_ROLE not in project.roles() and not project.permissions(RUNNER_ROLE)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_role_holding_the_permission_may_act(action: str) -> None:
    """Each privileged act is allowed to a role holding its permission in spec.yaml."""
    authorize(identity(role_with(ACTIONS[action])), action)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_role_without_the_permission_is_denied(action: str) -> None:
    """Each privileged act is denied to a role lacking its permission."""
    with pytest.raises(AccessDenied):
        authorize(identity(role_without(ACTIONS[action])), action)


def test_an_unknown_action_is_denied() -> None:
    """Deny by default: an act nobody listed is refused, even to the administrator."""
    with pytest.raises(AccessDenied, match="unknown action"):
        authorize(identity(project.admin_role()), "no-such-action")


def test_a_proven_operator_is_authenticated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The right secret of a person whose role may operate proves them for a promotion."""
    use_credentials(tmp_path, monkeypatch)
    actor = person(role_with("operate"))
    stdin = _typed(secret(actor))
    proven = authenticate(actor, "promote", stdin=stdin)
    assert proven.actor == actor and project.allowed(proven.role, "operate")


def test_a_wrong_secret_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong secret proves nothing."""
    use_credentials(tmp_path, monkeypatch)
    actor = person(role_with("operate"))
    with pytest.raises(AccessDenied, match="could not be proven"):
        authenticate(actor, "promote", stdin=_typed("not-the-secret-at-all"))


def test_no_credentials_file_refuses_everyone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an operators' credentials file, ACTOR and ROLE variables grant nothing."""
    monkeypatch.setenv(PREFIX + "ACTOR", "admin")
    monkeypatch.setenv(PREFIX + "ROLE", project.admin_role())
    with pytest.raises(AccessDenied, match="could not be proven"):
        authenticate("admin", "promote", stdin=_typed("whatever-is-typed"))


def test_a_proven_person_whose_role_lacks_the_permission_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proving who you are does not give your role more than spec.yaml does."""
    use_credentials(tmp_path, monkeypatch)
    actor = person(role_without("operate"))
    with pytest.raises(AccessDenied, match="may not operate"):
        authenticate(actor, "kill-switch", stdin=_typed(secret(actor)))


def _typed(text: str) -> io.StringIO:
    return io.StringIO(text + "\n")


@pytest.mark.parametrize(
    "reason", ["nul\x00here", "\x1b[2J\x1b[31mcleared", "\u202eevil"], ids=["nul", "escape", "bidi"]
)
def test_a_reason_with_control_characters_is_refused_at_the_command_line(
    cli: Cli, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reasons land in the audit log and on operators' terminals: NUL and escapes are refused."""
    with pytest.raises(SystemExit) as refused:
        cli(["promote", "m-000000000000", "--actor", "someone", "--reason", reason])
    assert refused.value.code == 2
    assert "control characters" in capsys.readouterr().err
