"""Run a function over chunks in order: in this process, in a pool of local processes, or on Dask workers.

Results come back in the order the chunks went in; only a few chunks are in flight at a time, so memory stays
flat however many chunks there are.
"""

from __future__ import annotations

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
    process, whose threads (BLAS, torch) could leave a forked child deadlocked."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        method = "forkserver" if sys.platform != "win32" else "spawn"
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method))

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


def local_runner(jobs: int) -> Runner:
    return Runner() if jobs <= 1 else ProcessRunner(jobs)
