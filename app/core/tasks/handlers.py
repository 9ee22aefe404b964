"""The modules that define task handlers; importing them registers their handlers with the engine."""

HANDLER_MODULES: list[str] = [
    "app.core.ingest.tasks",
    "app.core.ingest.repair",
    "app.core.ml.embed",
    "app.core.ingest.crop_backfill",
    "app.core.tasks.prune",
]
