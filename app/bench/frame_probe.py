"""What the GUI thread does in its slow frames (`shoebox bench gui --trace`): instrumentation, not a goal.

A frame is one step of the benchmark's scroll loop (scroll, repaint, process the events that came). The probe
records, per frame, the wall time, the GUI thread's own CPU time (less than the wall time: it waited for the
GIL or for a core), how long Python's garbage collector ran, the CPU the process's other threads used
meanwhile (/proc, Linux only), and every Python function Qt called on the GUI thread (slots, timer callbacks,
paint and delegate code), timed by `sys.setprofile` at the top level only, so its cost is small. The report
names the causes that add up to most of the slow frames' time.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections import defaultdict

SLOW_MS = 20.0  # frames above this are examined (the goal's p99)
_local = threading.local()


def _callback_name(func) -> str:
    """A readable name for a job or callback: the Reader's key for its reads, else the qualified name."""
    if func is None:
        return "?"
    code = getattr(func, "__code__", None)
    if code is not None and func.__closure__:
        cells = dict(zip(code.co_freevars, func.__closure__))
        for inner in ("key",):
            if inner in cells:
                try:
                    return f"reader[{cells[inner].cell_contents}]"
                except ValueError:
                    pass
        if "callback" in cells and code.co_name in ("finish", "done"):
            try:
                return _callback_name(cells["callback"].cell_contents)
            except ValueError:
                pass
    return getattr(func, "__qualname__", repr(func))


def _thread_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds of each thread of this process, with its name (Linux /proc; empty elsewhere)."""
    found: dict[int, tuple[str, float]] = {}
    base = f"/proc/{os.getpid()}/task"
    try:
        tids = os.listdir(base)
    except OSError:
        return found
    tick = os.sysconf("SC_CLK_TCK")
    for tid in tids:
        try:
            with open(f"{base}/{tid}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return found


class FrameProbe:
    def __init__(self, slow_ms: float = SLOW_MS):
        self.slow_ms = slow_ms
        self.frames: list[dict] = []
        self._gc_start = 0.0
        self._gc_pauses: list[tuple[int, float]] = []  # (generation, ms) of the collections in this frame
        self._calls: dict[str, float] = defaultdict(float)
        self._stack: list[tuple[object, str, float]] = []
        self._caller = None
        self._main = threading.get_ident()
        self._cpu0: dict[int, tuple[str, float]] = {}

    # -- hooks ------------------------------------------------------------------------------------------------
    def _on_gc(self, phase: str, info: dict) -> None:
        if threading.get_ident() != self._main:
            return
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            ms = (time.perf_counter() - self._gc_start) * 1000
            self._gc_pauses.append((info.get("generation", -1), ms))

    def _profile(self, frame, event, _arg) -> None:
        if event == "call" and frame.f_back is self._caller:
            code = frame.f_code
            name = f"{code.co_filename.rsplit('/app/', 1)[-1]}:{code.co_qualname}"
            if code.co_qualname == "Worker.run.<locals>.finish":  # a job's callback: name the callback
                name = "callback " + _callback_name(frame.f_locals.get("callback"))
            self._stack.append((frame, name, time.perf_counter()))
        elif event == "return" and self._stack and self._stack[-1][0] is frame:
            _, name, t0 = self._stack.pop()
            self._calls[name] += (time.perf_counter() - t0) * 1000

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._watch_jobs()

    def _watch_jobs(self) -> None:
        """Time every job of the window's thread pools (reader, read-ahead, thumbnails) by name, with the
        CPU it used: work on other threads competes with the GUI thread for the GIL and for a core."""
        from app.ui import images, workers

        self.jobs: list[tuple[str, float, float, float]] = []  # name, start, end, cpu ms
        jobs = self.jobs
        job_run, image_take = workers._Job.run, images.ImageLoader._take

        def timed_job(job) -> None:
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                job_run(job)
            finally:
                jobs.append((_callback_name(job._func), t0, time.perf_counter(), (time.thread_time() - c0) * 1000))

        def timed_take(loader):
            state = getattr(_local, "image", None)
            if state is not None:
                jobs.append(("thumbnail decode", state[0], time.perf_counter(),
                             (time.thread_time() - state[1]) * 1000))
            found = image_take(loader)
            _local.image = (time.perf_counter(), time.thread_time()) if found is not None else None
            return found

        workers._Job.run = timed_job
        images.ImageLoader._take = timed_take

    def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    # -- one frame ----------------------------------------------------------------------------------------------
    def begin(self) -> None:
        """Called by the benchmark's loop, in the frame that then runs the scroll, paint and events."""
        self._caller = sys._getframe(1)
        self._calls = defaultdict(float)
        self._stack.clear()
        self._gc_pauses = []
        self._cpu0 = _thread_cpu()
        self._t0, self._c0 = time.perf_counter(), time.thread_time()
        sys.setprofile(self._profile)

    def end(self, phase: str = "") -> float:
        sys.setprofile(None)
        wall = (time.perf_counter() - self._t0) * 1000
        cpu = (time.thread_time() - self._c0) * 1000
        record = {"t0": self._t0, "t1": self._t0 + wall / 1000, "ms": wall, "cpu_ms": cpu, "gc_ms": sum(ms for _g, ms in self._gc_pauses),
                  "gc": self._gc_pauses, "phase": phase}
        if wall > self.slow_ms:
            record["calls"] = dict(self._calls)
            now = _thread_cpu()
            others = {}
            for tid, (name, used) in now.items():
                if tid == threading.get_native_id():
                    continue
                before = self._cpu0.get(tid, (name, 0.0))[1]
                if used - before > 0:
                    others[name] = others.get(name, 0.0) + (used - before) * 1000
            record["other_threads_ms"] = others
        self.frames.append(record)
        return wall / 1000

    def jobs_report(self, t0: float, t1: float, phase: str, top: int = 12) -> list[dict]:
        """Jobs that ran between t0 and t1 (perf_counter), by name: count, CPU, longest, and how often a
        frame that overlapped one was slow (against `slow_share`, the share of all frames that were)."""
        from bisect import bisect_left, bisect_right

        frames = [f for f in self.frames if f["phase"] == phase]
        starts = [f["t0"] for f in frames]
        by_name: dict[str, list[float]] = defaultdict(list)
        overlapped: dict[str, set[int]] = defaultdict(set)
        for name, start, end, cpu in self.jobs:
            if start < t1 and end > t0:
                by_name[name].append(cpu)
                lo = max(0, bisect_left(starts, start) - 1)
                for k in range(lo, bisect_right(starts, end)):
                    if frames[k]["t1"] > start:
                        overlapped[name].add(k)
        found = []
        for name, v in by_name.items():
            hit = overlapped[name]
            slow = sum(1 for k in hit if frames[k]["ms"] > self.slow_ms)
            found.append({"job": name, "count": len(v), "cpu_ms": round(sum(v)), "max_cpu_ms": round(max(v), 1),
                          "frames": len(hit), "slow_share": round(slow / len(hit), 3) if hit else 0.0})
        return sorted(found, key=lambda j: -j["cpu_ms"])[:top]

    # -- the report -----------------------------------------------------------------------------------------------
    def report(self, phase: str | None = None, top: int = 12) -> dict:
        frames = [f for f in self.frames if phase is None or f["phase"] == phase]
        slow = [f for f in frames if f["ms"] > self.slow_ms]
        by_call: dict[str, list[float]] = defaultdict(list)
        for f in slow:
            for name, ms in f["calls"].items():
                by_call[name].append(ms)
        threads: dict[str, float] = defaultdict(float)
        for f in slow:
            for name, ms in f["other_threads_ms"].items():
                threads[name] += ms
        gens = defaultdict(list)
        for f in frames:
            for gen, ms in f["gc"]:
                gens[gen].append(ms)
        pauses = [ms for v in gens.values() for ms in v]
        cpu = sorted(f["cpu_ms"] for f in frames) or [0.0]
        return {
            "frames": len(frames),
            "slow_share": round(len(slow) / max(1, len(frames)), 3),
            # The GUI thread's own CPU per frame: what the window does, whatever the machine's load.
            "gui_cpu_p50_ms": round(cpu[len(cpu) // 2], 2),
            "gui_cpu_p99_ms": round(cpu[int(len(cpu) * 0.99)], 2),
            "gui_cpu_max_ms": round(cpu[-1], 2),
            "gui_cpu_frames_over_20ms": sum(1 for x in cpu if x > 20),
            "slow_frames": len(slow),
            "slow_over_50ms": sum(1 for f in frames if f["ms"] > 50),
            "slow_total_ms": round(sum(f["ms"] for f in slow)),
            "slow_gui_cpu_ms": round(sum(f["cpu_ms"] for f in slow)),  # the rest: waiting (GIL, a core)
            "slow_gc_ms": round(sum(f["gc_ms"] for f in slow)),
            "slow_frames_with_gc_over_10ms": sum(1 for f in slow if f["gc_ms"] > 10),
            "gc_all_frames_ms": round(sum(f["gc_ms"] for f in frames)),
            "gc_pauses_by_generation": {str(g): {"count": len(v), "max_ms": round(max(v), 1),
                                                 "over_10ms": sum(1 for x in v if x > 10)} for g, v in gens.items()},
            "gc_pauses_over_10ms": sum(1 for x in pauses if x > 10),
            "top_calls_in_slow_frames": sorted(
                ({"call": name, "frames": len(v), "total_ms": round(sum(v)), "max_ms": round(max(v), 1)}
                 for name, v in by_call.items()), key=lambda c: -c["total_ms"])[:top],
            "other_threads_cpu_in_slow_frames_ms": {k: round(v) for k, v in sorted(threads.items(),
                                                                                   key=lambda kv: -kv[1])[:8]},
            "worst_frames": self._worst(slow, top),
        }

    def _worst(self, slow: list[dict], top: int) -> list[dict]:
        """The slowest frames one by one: what the GUI thread called, which pool jobs overlapped them and what
        the other threads used meanwhile (a cause hides in averages when it only strikes a few frames)."""
        worst = []
        for f in sorted(slow, key=lambda f: -f["ms"])[:top]:
            jobs = sorted(((name, round(cpu, 1)) for name, start, end, cpu in self.jobs
                           if start < f["t1"] and end > f["t0"] and name != "thumbnail decode"), key=lambda j: -j[1])
            worst.append({"ms": round(f["ms"], 1), "gui_cpu_ms": round(f["cpu_ms"], 1), "gc_ms": round(f["gc_ms"], 1),
                          "calls": {k: round(v, 1) for k, v in sorted(f["calls"].items(), key=lambda kv: -kv[1])[:6]},
                          "jobs": jobs[:6],
                          "thumbnail_decodes": sum(1 for name, start, end, _ in self.jobs if name == "thumbnail decode"
                                                   and start < f["t1"] and end > f["t0"]),
                          "other_threads_ms": {k: round(v, 1) for k, v in f["other_threads_ms"].items()}})
        return worst
