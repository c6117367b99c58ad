"""Entry point of ``python -m diodescan_analysis``."""

from .cli import main

raise SystemExit(main())
