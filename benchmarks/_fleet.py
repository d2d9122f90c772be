"""Run ``update_many`` over a folder of repositories with a given number of workers.

Used by the fleet-update figure as a whole process: ``python -m benchmarks._fleet DIR N``.
Exits 1 unless every repository ends ``updated``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Update every repository under ``argv[0]`` with ``argv[1]`` worker processes."""
    from generator.update import find_projects, update_many

    folder, workers = Path(argv[0]), int(argv[1])
    results = update_many(find_projects([folder]), workers=workers)
    bad = [r for r in results if r.status != "updated"]
    for result in bad:
        sys.stderr.write(f"{result.path}: {result.status}: {result.message}\n")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
