"""Run shard jobs as Ray tasks, for corpora that one machine cannot build in time.

Each task runs the very function the local pool runs (``run_shard_job``), so a Ray build is
file for file the same index. A task declares the memory its sort needs, so Ray never packs
more sorts onto a node than fit; a task whose worker dies (killed, out of memory, node lost)
is retried, and a retried job starts over from scratch, which is safe because jobs are
deterministic and write their parts atomically. The driver only waits, reports progress and,
back in the builder, assembles ``manifest.json``. The output directory and the inputs must be
on storage every node reaches (a shared filesystem path).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tracer.errors import InputError, TracerError
from tracer.index.format import ShardJob
from tracer.index.shard_job import run_shard_job
from tracer.index.sorters import get_sorter

MAX_RETRIES = 3  # re-runs of a job whose worker died; an exception raised by the job is not retried
CONNECT_TIMEOUT_S = 5
BASE_TASK_MEMORY = 512 << 20  # interpreter, tokenizer and read buffers of one task


def require_ray(address: str | None = None) -> Any:
    """Import ray, or say which package to install; check ``address`` (or $RAY_ADDRESS) if given."""
    try:
        import ray
    except ImportError:
        raise InputError("--executor ray needs the 'ray' package: pip install 'tracer[ray]'") from None
    target = address or os.environ.get("RAY_ADDRESS")
    if target:
        host, port = _parse_address(target)  # malformed is an error even where a Ray session is already open
        if host and not ray.is_initialized():
            _check_reachable(target, host, port)
    return ray


def task_memory(job: ShardJob, itemsize: int) -> int:
    """Bytes one job needs at its peak: its largest part sorted, plus a fixed base."""
    input_bytes = job.input_bytes
    tokens = min(job.part_tokens, input_bytes + input_bytes // 8 + 4096)  # a token covers >= 1 input byte
    per_token = get_sorter(job.sa_backend).peak_bytes_per_token(itemsize, job.device)
    return BASE_TASK_MEMORY + tokens * per_token


def _run_in(cwd: str, job_fn: Callable[[ShardJob], dict], job: ShardJob) -> dict:
    """Task body: resolve the job's relative paths against the driver's working directory."""
    if os.path.isdir(cwd):
        os.chdir(cwd)
    return job_fn(job)


def _largest_node_memory(ray) -> int:
    sizes = [n.get("Resources", {}).get("memory", 0) for n in ray.nodes() if n.get("Alive")]
    return int(max(sizes, default=0))


def _parse_address(address: str) -> tuple[str, int]:
    """(host, port) of HOST:PORT or ray://HOST:PORT; ("", 0) for auto and local; else a clear error."""
    if address in ("auto", "local"):
        return "", 0
    host, sep, port = address.split("://", 1)[-1].rpartition(":")
    if not sep or not host or not port.isdigit():
        raise InputError(f"--ray-address {address!r}: expected HOST:PORT, ray://HOST:PORT, auto or local")
    return host.strip("[]"), int(port)


def _check_reachable(address: str, host: str, port: int) -> None:
    """Fail fast on a HOST:PORT nobody listens on (ray.init would retry for minutes)."""
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as e:
        raise InputError(f"--ray-address {address}: cannot reach a Ray cluster there ({e.strerror or e})") from None


def _connect(ray, address: str | None) -> bool:
    """Join the given (or $RAY_ADDRESS) cluster, or start a local one; True if we started it."""
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, include_dashboard=False, logging_level=logging.ERROR,
                 configure_logging=True, log_to_driver=True)
    except (ConnectionError, ValueError, RuntimeError) as e:
        where = address or os.environ.get("RAY_ADDRESS") or "a new local cluster"
        raise InputError(f"--executor ray: cannot start or join the Ray cluster at {where}: {e}") from None
    return True


def _job_failure(ray, job: ShardJob, err: Exception) -> Exception:
    """The error to raise for a failed task: the job's own exception where it raised one."""
    if isinstance(err, ray.exceptions.RayTaskError):
        cause = getattr(err, "cause", None)
        if isinstance(cause, Exception):
            return cause
    return TracerError(f"shard job {job.job_id} failed on the Ray cluster after {MAX_RETRIES} retries "
                       f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                       "rerun the same command to resume")


def run_jobs_on_ray(jobs: list[ShardJob], bar, address: str | None = None,
                    job_fn: Callable[[ShardJob], dict] | None = None) -> list[dict]:
    """Run ``jobs`` as Ray tasks and wait for all of them; ``bar.update(bytes)`` per finished job.

    ``job_fn`` defaults to ``run_shard_job`` (looked up at call time). Returns the job records.
    Reuses an already initialised Ray session; otherwise joins ``address`` (or $RAY_ADDRESS), or
    starts a local cluster and shuts it down afterwards.
    """
    ray = require_ray()
    job_fn = job_fn or run_shard_job
    if not jobs:
        return []
    itemsize = jobs[0].tokenizer.load().dtype.itemsize
    started = _connect(ray, address)
    try:
        node_memory = _largest_node_memory(ray)
        has_gpus = ray.cluster_resources().get("GPU", 0) >= 1
        remote = ray.remote(_run_in)
        cwd = os.getcwd()
        planned = []
        for job in jobs:  # check every job before submitting any
            if get_sorter(job.sa_backend).uses_device and job.device is None:
                job = replace(job, device="cuda" if has_gpus else "cpu")
            memory = task_memory(job, itemsize)
            if node_memory and memory > node_memory:
                raise InputError(f"shard job {job.job_id} needs about {memory / 2**30:.1f} GiB but the largest Ray "
                                 f"node offers {node_memory / 2**30:.1f} GiB; lower --shard-tokens")
            planned.append((job, memory))
        refs: dict[Any, ShardJob] = {}
        for job, memory in planned:
            gpus = 1 if get_sorter(job.sa_backend).uses_device and job.device == "cuda" else 0
            ref = remote.options(num_cpus=1, num_gpus=gpus, memory=memory, max_retries=MAX_RETRIES,
                                 retry_exceptions=False, name=f"tracer-shard-job-{job.job_id}").remote(cwd, job_fn, job)
            refs[ref] = job
        records, pending = [], list(refs)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    try:
                        records.append(ray.get(ref))
                    except ray.exceptions.RayError as e:
                        raise _job_failure(ray, refs[ref], e) from None
                    bar.update(refs[ref].input_bytes)
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
        return records
    finally:
        if started:
            ray.shutdown()
