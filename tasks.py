"""invoke entry point: `invoke --list` shows every cityops task."""

from cityops.cli import ns  # noqa: F401
