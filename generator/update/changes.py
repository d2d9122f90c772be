"""What an update changes that a reviewer must see: access, controls, criteria, retention.

An update's diff can run to hundreds of lines; a few of its changes alter what the system
allows or what it is held to, and must not hide among them. They are read from the
project's recorded render context (``.copier-answers.yml``) against the one recomputed
from ``spec.yaml`` by this generator, so a spec edit and a template release are announced
alike: a role gaining or losing a permission (a spec written before ``users[].can``
existed now gets least privilege), a control added or dropped, an acceptance criterion
added or removed, the retention of audit records changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

NoteKind = Literal[
    "role-added",
    "role-removed",
    "permission-gained",
    "permission-lost",
    "control-added",
    "control-dropped",
    "criterion-added",
    "criterion-removed",
    "retention-changed",
]

LEGACY_SERVICE_GRANTS = ("request", "read", "review", "contest", "sign")
"""What every spec role of a service could do before ``users[].can`` (templates up to 0.3)."""
LEGACY_ADMIN_GRANTS = ("request", "read", "review", "contest", "operate")
"""What the admin role of a service could do before ``users[].can`` (templates up to 0.3)."""


@dataclass(frozen=True)
class ReviewNote:
    """One change of an update that a reviewer must see, in one sentence."""

    kind: NoteKind
    subject: str
    """The role, the control (``regime/id``), the criterion id, or ``retention_days``."""
    message: str

    def to_json(self) -> dict[str, str]:
        """The note as plain JSON data."""
        return {"kind": self.kind, "subject": self.subject, "message": self.message}


def review_notes(recorded: object, current: dict[str, Any]) -> tuple[ReviewNote, ...]:
    """Compare the recorded render context with the recomputed one; return what matters.

    Args:
        recorded: the ``project`` answer of ``.copier-answers.yml`` (any shape: a project
            made by an older generator records less, a hand-edited one anything).
        current: the context this generator computes from the project's ``spec.yaml``.
    """
    if not isinstance(recorded, dict):
        return ()
    return (
        *_permission_notes(recorded, current),
        *_control_notes(recorded, current),
        *_criterion_notes(recorded, current),
        *_retention_notes(recorded, current),
    )


def _permission_notes(recorded: dict[str, Any], current: dict[str, Any]) -> list[ReviewNote]:
    before = _grants(recorded)
    after = _grants(current) or {}
    notes: list[ReviewNote] = []
    if before is None:  # a pipeline before users[].can: its commands checked no role
        for role, can in after.items():
            notes.append(
                ReviewNote(
                    "permission-lost",
                    role,
                    f"role `{role}` may now only {_listed(can)}: this template version "
                    "enforces users[].can of spec.yaml, earlier pipelines checked no role",
                )
            )
        return notes
    for role, can in after.items():
        if role not in before:
            notes.append(ReviewNote("role-added", role, f"role `{role}` added: may {_listed(can)}"))
            continue
        gained = [p for p in can if p not in before[role]]
        lost = [p for p in before[role] if p not in can]
        if gained:
            notes.append(
                ReviewNote("permission-gained", role, f"role `{role}` gains {_joined(gained)}")
            )
        if lost:
            notes.append(
                ReviewNote(
                    "permission-lost",
                    role,
                    f"role `{role}` loses {_joined(lost)} (may now {_listed(can)})",
                )
            )
    for role, can in before.items():
        if role not in after:
            notes.append(
                ReviewNote(
                    "role-removed",
                    role,
                    f"role `{role}` removed: its callers may do nothing (could {_listed(can)})",
                )
            )
    return notes


def _grants(context: dict[str, Any]) -> dict[str, list[str]] | None:
    """Role -> permissions of a context; what older template versions granted without one."""
    table = context.get("permissions")
    if isinstance(table, dict):
        return {str(role): _strings(can) for role, can in table.items()}
    if context.get("kind") != "service":
        return None
    roles = _strings(context.get("roles"))
    admin = context.get("admin_role")
    grants = {role: list(LEGACY_SERVICE_GRANTS) for role in roles}
    if isinstance(admin, str):
        grants[admin] = list(LEGACY_ADMIN_GRANTS)
    return grants


def _control_notes(recorded: dict[str, Any], current: dict[str, Any]) -> list[ReviewNote]:
    before = _controls(recorded)
    after = _controls(current)
    notes = [
        ReviewNote(
            "control-added",
            key,
            f"control {_control_name(row)} added: {row.get('title', '')} "
            f"(evidence `{row.get('file', '')}`, checked by `{row.get('test', '')}`)",
        )
        for key, row in after.items()
        if key not in before
    ]
    notes.extend(
        ReviewNote(
            "control-dropped",
            key,
            f"control {_control_name(row)} dropped: {row.get('title', '')}",
        )
        for key, row in before.items()
        if key not in after
    )
    return notes


def _controls(context: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = context.get("controls")
    found: dict[str, dict[str, Any]] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and "regime" in row and "id" in row:
            found[f"{row['regime']}/{row['id']}"] = row
    return found


def _control_name(row: dict[str, Any]) -> str:
    return f"{row.get('regime_short') or row['regime']} {row['id']}"


def _criterion_notes(recorded: dict[str, Any], current: dict[str, Any]) -> list[ReviewNote]:
    before = _criteria(recorded)
    after = _criteria(current)
    notes = [
        ReviewNote(
            "criterion-added",
            cid,
            f"acceptance criterion {cid} added: its test `{row.get('test_name', '')}` arrives "
            "as a strict xfail until it is implemented",
        )
        for cid, row in after.items()
        if cid not in before
    ]
    notes.extend(
        ReviewNote(
            "criterion-removed",
            cid,
            f"acceptance criterion {cid} removed: its test `{row.get('test_name', '')}` is no "
            "longer generated or traced",
        )
        for cid, row in before.items()
        if cid not in after
    )
    return notes


def _criteria(context: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = context.get("criteria")
    return {
        str(row["id"]): row
        for row in (rows if isinstance(rows, list) else [])
        if isinstance(row, dict) and "id" in row
    }


def _retention_notes(recorded: dict[str, Any], current: dict[str, Any]) -> list[ReviewNote]:
    before, after = recorded.get("retention_days"), current.get("retention_days")
    if before == after or not isinstance(before, int) or not isinstance(after, int):
        return []
    shorter = "shorter: records older than that are purged" if after < before else "longer"
    return [
        ReviewNote(
            "retention-changed",
            "retention_days",
            f"audit and event records are kept {after} days instead of {before} ({shorter})",
        )
    ]


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _joined(items: list[str]) -> str:
    return ", ".join(items)


def _listed(items: list[str]) -> str:
    return ", ".join(items) if items else "nothing"
