"""Subcommands of the `tinygrad-ce` CLI, one module each (see `tinygrad_ce.cli`)."""
