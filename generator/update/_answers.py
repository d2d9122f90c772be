"""Hand Copier's update the recorded answers in the order the project was rendered with.

Copier's update renders the template version a project was made from with the answers read
back from ``.copier-answers.yml`` (``Subproject.last_answers``), then takes every difference
between that render and the project for an edit of the team's. The answers file records
mappings sorted, but template versions up to 0.4.0 were first rendered with the mappings in
the order they were computed, and looped over two of them (the controls matrix's baseline
table, the role tables). Re-rendered sorted, those tables come out reordered, and the merge
conflicts wherever the new version adds a row nearby, in files nobody touched.

Copier offers no way to pass the old answers to an update: it always reads them from the
file, and the file cannot be rewritten first (Copier refuses a dirty working tree, and the
team's history must not gain a commit they did not make). So, for the duration of one
``run_update`` call, ``Subproject.last_answers`` returns the recorded answers with those
mappings in their computed order (``generator.render.in_render_order``); nothing
else changes. Current templates never depend on mapping order, so the reordering is only
ever needed for, and harmless to, later versions. Should a Copier release move or rename
what this relies on, the update fails with that reason instead of silently conflicting
(``tests/integration/test_update_releases.py`` updates every released version).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any


class CopierChangedError(RuntimeError):
    """The installed Copier no longer reads the recorded answers the way this module expects."""


def _subproject_class() -> type[Any]:
    try:
        from copier._subproject import Subproject
    except ImportError:  # Copier before 9.10 kept it in a public-looking module
        try:
            from copier.subproject import Subproject
        except ImportError as err:
            raise CopierChangedError(_CHANGED) from err
    cls: type[Any] = Subproject
    return cls


_CHANGED = (
    "this Copier version reads the recorded answers differently from the Copier 9 releases "
    "new-ai-project supports (Subproject.last_answers); install a Copier 9 release"
)


@contextmanager
def answers_in_render_order() -> Iterator[None]:
    """While active, Copier reads each project's recorded ``project`` answer in render order.

    Raises:
        CopierChangedError: Copier no longer has ``Subproject.last_answers`` as a cached
            property, so the recorded answers could not be handed over in order.
    """
    from generator.render import in_render_order

    subproject = _subproject_class()
    original = subproject.__dict__.get("last_answers")
    if not isinstance(original, cached_property):
        raise CopierChangedError(_CHANGED)
    read = original.func

    def last_answers(self: Any) -> Any:
        answers = read(self)
        recorded = answers.get("project") if isinstance(answers, dict) else None
        if isinstance(recorded, dict):
            answers = {**answers, "project": in_render_order(recorded)}
        return answers

    ordered = cached_property(last_answers)
    ordered.__set_name__(subproject, "last_answers")
    subproject.last_answers = ordered
    try:
        yield
    finally:
        subproject.last_answers = original
