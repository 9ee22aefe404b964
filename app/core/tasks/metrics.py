"""Task metrics in Prometheus text format, read from the task table so any process (`shoebox metrics`) sees
the library's whole history, not just its own counters."""

from __future__ import annotations

from collections import defaultdict

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from app.core.tasks.states import TaskState
from app.core.tasks.store import TaskStore

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class TaskCollector:
    def __init__(self, store: TaskStore):
        self._store = store

    def collect(self):
        processed = CounterMetricFamily("shoebox_tasks_processed", "Tasks finished successfully", labels=["type"])
        failed = CounterMetricFamily("shoebox_tasks_failed", "Tasks that failed at least once", labels=["type"])
        retried = CounterMetricFamily("shoebox_tasks_retried", "Extra attempts spent on retries", labels=["type"])
        dead = CounterMetricFamily("shoebox_tasks_dead", "Tasks in the dead-letter state", labels=["type"])
        pending = GaugeMetricFamily("shoebox_tasks_pending", "Tasks waiting to run (incl. retries)", labels=["type"])
        running = GaugeMetricFamily("shoebox_tasks_running", "Tasks running now", labels=["type"])
        by_type: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
        for type_, state, n, attempts, errors in self._store.per_type_totals():
            by_type[type_][state] = (n, attempts or 0, errors or 0)
        for type_, states in sorted(by_type.items()):
            processed.add_metric([type_], states.get(TaskState.DONE, (0, 0, 0))[0])
            dead.add_metric([type_], states.get(TaskState.DEAD, (0, 0, 0))[0])
            failed.add_metric([type_], sum(e for _, _, e in states.values()))
            retried.add_metric([type_], sum(max(0, a - n) for n, a, _ in states.values() if a))
            waiting = states.get(TaskState.PENDING, (0, 0, 0))[0] + states.get(TaskState.FAILED, (0, 0, 0))[0]
            pending.add_metric([type_], waiting)
            running.add_metric([type_], states.get(TaskState.RUNNING, (0, 0, 0))[0])
        yield from (processed, failed, retried, dead, pending, running)
        yield self._durations()

    def _durations(self) -> HistogramMetricFamily:
        hist = HistogramMetricFamily("shoebox_task_duration_seconds", "Run time of finished tasks", labels=["type"])
        samples: dict[str, list[float]] = defaultdict(list)
        for type_, seconds in self._store.durations():
            samples[type_].append(seconds)
        totals: dict[str, tuple[list[int], int, float]] = {}
        for type_, values in samples.items():
            counts = [sum(1 for v in values if v <= b) for b in DURATION_BUCKETS]
            totals[type_] = (counts, len(values), sum(values))
        for type_, n, seconds, counts in self._store.pruned_durations():  # tasks pruned from the table
            old_counts, old_n, old_seconds = totals.get(type_, ([0] * len(DURATION_BUCKETS), 0, 0.0))
            totals[type_] = ([a + b for a, b in zip(old_counts, counts)], old_n + n, old_seconds + seconds)
        for type_, (counts, n, seconds) in sorted(totals.items()):
            buckets = [(str(b), c) for b, c in zip(DURATION_BUCKETS, counts)]
            buckets.append(("+Inf", n))
            hist.add_metric([type_], buckets, sum_value=seconds)
        return hist


class LibraryCollector:
    """Gauges of what the work produced: photos, embeddings, people, and the vector index files."""

    def __init__(self, library):
        self._library = library

    def collect(self):
        from app.core.tasks.activity import read_activity

        activity = read_activity(self._library)
        for name, doc, value in (
            ("shoebox_photos_total", "Photos in the library", activity.photos),
            ("shoebox_embeddings_generated", "Image embeddings stored (all models)", activity.embeddings),
            ("shoebox_persons_total", "People (named or not) found by face clustering", activity.people),
        ):
            yield GaugeMetricFamily(name, doc, value=value)
        size = GaugeMetricFamily("shoebox_index_bytes", "Size of each vector index file", labels=["file"])
        saved = GaugeMetricFamily("shoebox_index_saved_timestamp_seconds", "When each index file was last saved",
                                  labels=["file"])
        for f in activity.index_files:
            size.add_metric([f.name], f.bytes)
            saved.add_metric([f.name], f.saved_at)
        yield size
        yield saved


def render_metrics(store: TaskStore, library=None) -> bytes:
    registry = CollectorRegistry()
    registry.register(TaskCollector(store))
    if library is not None:
        registry.register(LibraryCollector(library))
    return generate_latest(registry)
