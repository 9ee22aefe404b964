"""Errors that carry a message meant for the user (the CLI prints it, the GUI shows it)."""

from __future__ import annotations


class ModelError(Exception):
    """A model could not be installed, imported, exported or loaded; the message says why and what to do."""


class ModelMissingError(ModelError):
    """No usable model is installed for a feature; the message says how to install or import one."""
