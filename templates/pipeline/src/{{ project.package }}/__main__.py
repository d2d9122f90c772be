"""Allow ``python -m`` with this package: the same commands as its console script."""

from .cli import main

raise SystemExit(main())
