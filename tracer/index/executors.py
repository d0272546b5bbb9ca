"""Where shard jobs run: an ``Executor`` runs a list of jobs to completion and reports progress.

Two implementations: ``LocalExecutor`` (this process, or a spawn pool of workers that end with
the build) and ``RayExecutor`` (tasks on a Ray cluster; ``ray`` is imported only when chosen).
Both run the very same ``run_shard_job``, so the index does not depend on the executor.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Protocol

from tracer.errors import InputError
from tracer.index.format import ShardJob
from tracer.index.shard_job import run_shard_job


class Progress(Protocol):
    """The part of a tqdm bar an executor uses."""

    n: float

    def update(self, n: float) -> object: ...

    def refresh(self) -> object: ...


class Executor(Protocol):
    """Runs shard jobs; a job's own exception propagates (the first one seen)."""

    name: str
    here: bool  # the jobs run on this machine (its devices and memory are theirs)

    def check(self) -> None:
        """Fail on a missing optional package or an unreachable cluster, before anything is written."""

    def run(self, jobs: list[ShardJob], bar: Progress) -> None:
        """Run every job; ``bar.update(input bytes)`` as they progress."""


def _exit_with_parent(parent_pid: int) -> None:
    """Pool worker initializer: end the worker when the build process dies (kill -9 included).

    Without it, workers of a killed build live on as orphans, holding memory and still writing
    into the index directory while the rerun resumes it.
    """
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


class LocalExecutor:
    """Jobs in this process (one worker) or in a spawn pool of ``workers`` processes."""

    name = "local"
    here = True

    def __init__(self, workers: int):
        self.workers = workers

    def check(self) -> None:
        return None

    def run(self, jobs: list[ShardJob], bar: Progress) -> None:
        workers = min(self.workers, len(jobs))
        if workers <= 1:
            done = 0
            for job in jobs:
                run_shard_job(job, progress=bar.update)
                done += job.input_bytes
                bar.n = done  # text characters approximate input bytes; settle on the exact figure
                bar.refresh()
            return
        ctx = get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_exit_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(run_shard_job, job): job for job in jobs}
            for fut in as_completed(futures):
                fut.result()
                bar.update(futures[fut].input_bytes)


class RayExecutor:
    """Jobs as Ray tasks (tracer.index.ray_executor); inputs and --out on storage every node reaches."""

    name = "ray"
    here = False

    def __init__(self, address: str | None):
        self.address = address

    def check(self) -> None:
        from tracer.index.ray_executor import require_ray

        require_ray(self.address)

    def run(self, jobs: list[ShardJob], bar: Progress) -> None:
        from tracer.index.ray_executor import run_jobs_on_ray

        run_jobs_on_ray(jobs, bar, address=self.address)


EXECUTORS = ("local", "ray")


def make_executor(name: str, workers: int, ray_address: str | None = None) -> Executor:
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(ray_address)
    raise InputError(f"--executor must be one of {', '.join(EXECUTORS)}, not {name!r}")
