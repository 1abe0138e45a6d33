"""Labelling on a Dask distributed cluster (``consult label --engine dask``).

The first pass (checks, clean-stage flags, campaign signatures) and the labelling of each chunk run as tasks on
the workers; this process reads the input, gathers the per-answer hashes and signatures (never the texts),
finds campaign copies over the whole file, and writes the labelled chunks in order. Each worker loads the
model once, after checking its SHA-256 (the model folder must be readable at the same path on every worker).
Without a scheduler address, a ``LocalCluster`` with one single-threaded worker process per core is started.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .entities import resolve_jobs
from .errors import ConsultError
from .runner import Runner

INSTALL = "pip install -e '.[dask]' (or pip install 'dask[distributed]==2026.8.0')"


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConsultError(
            "--engine dask needs Dask's distributed scheduler, which is not installed", f"Install it: {INSTALL}"
        ) from None
    return distributed


class DaskRunner(Runner):
    """Chunks as tasks on a Dask cluster, results in order, a few chunks per worker in flight."""

    def __init__(self, scheduler: str | None, workers: int | None = None) -> None:
        distributed = _import_distributed()
        self.cluster = None
        try:
            if scheduler is None:
                n = workers or resolve_jobs(0)
                self.cluster = distributed.LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
                )
                self.client = distributed.Client(self.cluster)
            else:
                self.client = distributed.Client(scheduler, timeout="20s")
        except OSError as e:
            self.close()
            raise ConsultError(
                f"Cannot reach the Dask scheduler at {scheduler} ({e})",
                "Start it with 'dask scheduler' and workers with 'dask worker ADDRESS', or leave out --scheduler",
            ) from None
        self.jobs = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable[..., Any], args: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        pending: deque[Any] = deque()
        for a in args:
            pending.append(self.client.submit(fn, *a, pure=False))
            if len(pending) > 2 * self.jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()


def dask_runner(scheduler: str | None, workers: int | None = None) -> DaskRunner:
    return DaskRunner(scheduler, workers)
