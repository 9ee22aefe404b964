"""The modules that define task handlers; importing them registers their handlers with the engine."""

HANDLER_MODULES: list[str] = [
    "app.core.ingest.tasks",
    "app.core.ingest.repair",
    "app.core.ml.embed",
    "app.core.ingest.crop_backfill",
    "app.core.places.tasks",
    "app.core.events.tasks",
    "app.core.people.scan",
    "app.core.people.cluster_task",
    "app.core.tasks.prune",
    "app.core.voice.transcribe",
    "app.core.search.meaning_task",
    "app.core.captions.task",
]
