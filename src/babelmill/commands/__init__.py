"""Subcommand groups of the ``babelmill`` CLI (each module holds one click group)."""
