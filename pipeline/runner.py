"""Run a function over chunks in order: in this process, in a pool of local processes, or on Dask workers.

Results come back in the order the chunks went in; only a few chunks are in flight at a time, so memory stays
flat however many chunks there are.
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any


class Runner:
    """In this process, one chunk at a time."""

    jobs = 1

    def map(self, fn: Callable[..., Any], args: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        for a in args:
            yield fn(*a)

    def close(self) -> None:
        pass

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class ProcessRunner(Runner):
    """``jobs`` local processes, started from a fork server on POSIX (spawned elsewhere): never forked from this
    process, whose threads (BLAS, torch) could leave a forked child deadlocked. The fork server imports
    ``preload`` (module names) once, so its workers share those pages instead of each importing its own copy."""

    def __init__(self, jobs: int, preload: tuple[str, ...] = ()) -> None:
        self.jobs = jobs
        if sys.platform == "win32":
            ctx = multiprocessing.get_context("spawn")
        else:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(list(preload))
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)

    def map(self, fn: Callable[..., Any], args: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        pending: deque[Future[Any]] = deque()
        for a in args:
            pending.append(self.pool.submit(fn, *a))
            if len(pending) > 2 * self.jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


@functools.cache
def _libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6") if sys.platform.startswith("linux") else None
    except OSError:
        return None


def trim_heap() -> None:
    """Give the memory freed after a chunk back to the system (glibc's ``malloc_trim``; nothing elsewhere):
    without it a long run's processes keep the high-water mark of every chunk's temporary frames."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def local_runner(jobs: int, preload: tuple[str, ...] = ()) -> Runner:
    return Runner() if jobs <= 1 else ProcessRunner(jobs, preload)
