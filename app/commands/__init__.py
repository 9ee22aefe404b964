"""Subcommands of the `shoebox` CLI, one module per area."""
