"""Run the planning run's partitions on a Dask cluster.

``dask_mapper(address)`` connects to a running scheduler (``--scheduler tcp://…``);
``dask_mapper(None, workers=N)`` starts a ``LocalCluster`` of N worker processes for
the run and closes it afterwards. Partitions are submitted in order and gathered in
order, so the result equals the in-process run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["dask_mapper"]

logger = logging.getLogger(__name__)

P = TypeVar("P")
R = TypeVar("R")


@contextmanager
def dask_mapper(
    address: str | None,
    *,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Callable[[Callable[[P], R], Sequence[P]], list[R]]]:
    """A mapper that runs ``fn`` over the partitions on Dask (see the module docstring)."""
    from distributed import Client, LocalCluster, as_completed

    cluster: Any = None
    if address is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        address = cluster.scheduler_address
    client = Client(address)
    logger.info("dask: %s with %d workers", address, len(client.scheduler_info()["workers"]))

    def run(fn: Callable[[P], R], parts: Sequence[P]) -> list[R]:
        futures = client.map(fn, list(parts), pure=False)
        if progress is not None:
            for done, _ in enumerate(as_completed(futures), start=1):
                progress(done, len(futures))
        return list(client.gather(futures))

    try:
        yield run
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
