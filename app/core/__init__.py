"""The Shoebox library layer: database, ingestion, tasks, models, index and search.

Nothing in here imports widgets (QtCore only), so the CLI and tests drive it headless.
"""
