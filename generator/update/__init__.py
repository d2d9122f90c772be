"""Keeping generated repositories current: update, check, fleets, and their report.

Public on purpose: the names below (``report`` shows results); ``_git`` is used only
inside this package.
"""

from generator.update import report
from generator.update.fleet import exit_code, find_projects, update_many
from generator.update.project import UpdateResult, update_project

__all__ = ["UpdateResult", "exit_code", "find_projects", "report", "update_many", "update_project"]
