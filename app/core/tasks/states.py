"""The task vocabulary in one place: states, task kinds and error classes.

They are `StrEnum`s, so they are stored as, and compare equal to, the plain strings in the database and JSON.
"""

from __future__ import annotations

from enum import StrEnum


class TaskState(StrEnum):
    PENDING = "pending"  # waiting for a worker
    RUNNING = "running"  # claimed by a worker (`claimed_by` says which process)
    FAILED = "failed"  # a transient error: claimable again at `next_run_at`
    DONE = "done"
    DEAD = "dead"  # gave up (permanent error or attempts used up); the cause is kept; requeue to retry
    CANCELLED = "cancelled"


WAITING_STATES = (TaskState.PENDING, TaskState.FAILED)  # claimable once due
LIVE_STATES = (TaskState.PENDING, TaskState.RUNNING, TaskState.FAILED)
TERMINAL_STATES = (TaskState.DONE, TaskState.DEAD, TaskState.CANCELLED)
ALL_STATES = tuple(TaskState)


class TaskKind(StrEnum):
    """The task types the app registers handlers for (tests and benchmarks may register their own)."""

    SCAN = "scan"  # walk a folder, queue an ingest per new or changed file
    INGEST = "ingest"  # hash, read metadata and write thumbnails of one file
    DUPLICATES = "duplicates"  # group near-duplicates once an import's files are in
    EMBED = "embed"  # compute image vectors for one model


class ErrorClass(StrEnum):
    """How a task's failure is handled: retried with backoff, or dead at once."""

    TRANSIENT = "transient"
    PERMANENT = "permanent"
