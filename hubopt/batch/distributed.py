"""Run a batch's scenarios on a Dask distributed cluster (``hubopt[distributed]``).

The unit of work is the same :func:`hubopt.scenario_run.run_scenario` the
local batch uses: a :class:`ScenarioJob` (input and previous result as bytes)
goes to a worker, a :class:`ScenarioResult` (result workbook and log as
bytes) comes back, so workers need no shared disk, only hubopt installed.
Each worker thread runs one solve at a time (start workers with
``--nthreads`` = the solves a machine should run at once).

A task whose worker dies (``KilledWorker``, a closed connection) is submitted
once more; when that fails too the scenario is reported as ``lost``. Errors
of the solve itself never raise: run_scenario returns them as results.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from .scenario_run import ScenarioJob, ScenarioResult, run_scenario

log = logging.getLogger("hubopt")

RETRIES = 1


def _client(address: str):
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise RuntimeError("--scheduler needs the distributed extra: "
                           "pip install 'hubopt[distributed]'") from exc
    return Client(address, timeout="30s")


def run_on_cluster(jobs: list[ScenarioJob], address: str,
                   finished: Callable[[ScenarioJob, ScenarioResult, int], None],
                   client=None) -> None:
    """Solve ``jobs`` on the cluster at ``address`` (or on ``client``) and call
    ``finished(job, result, running)`` as each comes back."""
    from dask.distributed import as_completed

    own = client is None
    client = client or _client(address)
    try:
        futures = {}
        for job in jobs:
            futures[_submit(client, job)] = (job, 0, time.perf_counter())
        pending = as_completed(list(futures))
        for future in pending:
            job, attempt, started = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker, not the scenario
                if attempt < RETRIES:
                    log.warning("batch: %s: worker lost (%s: %s); retrying once", job.name,
                                type(exc).__name__, exc)
                    retry = _submit(client, job)
                    futures[retry] = (job, attempt + 1, started)
                    pending.add(retry)
                    continue
                result = ScenarioResult(
                    job.name, "lost", None, time.perf_counter() - started,
                    error=f"its worker was lost twice ({type(exc).__name__}: {exc}).")
            finished(job, result, len(futures))
    finally:
        if own:
            client.close()


def _submit(client, job: ScenarioJob):
    return client.submit(run_scenario, job, key=f"hubopt-{job.stem}-{uuid.uuid4().hex[:8]}",
                         pure=False, retries=0)
