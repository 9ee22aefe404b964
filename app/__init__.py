"""Shoebox: a private desktop photo manager with on-device AI."""

__version__ = "0.1.0"
