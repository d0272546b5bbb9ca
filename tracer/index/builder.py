"""Build (or resume, or append to) an index: plan jobs, run them, assemble the manifest last.

Resume: the plan is saved before any work; every finished job leaves a marker. Rerunning the
same command reuses finished jobs and redoes unfinished ones from scratch; jobs are
deterministic, so the result equals an uninterrupted build.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from tracer import __version__
from tracer.corpus import ReadOptions, group_into_jobs, plan_slices
from tracer.errors import IndexFormatError, InputError
from tracer.index.blocks import write_block_table
from tracer.index.format import (
    FORMAT_VERSION,
    MANIFEST,
    PLAN,
    SHARDS,
    TOKENIZER_FILE,
    UNIGRAM,
    sha256_file,
    write_array,
    write_bytes_atomic,
    write_json_atomic,
)
from tracer.index.shard_job import SA_BACKENDS, ShardJob, job_marker, run_shard_job
from tracer.tokenize import NORMALIZATION_NAME, load_tokenizer

PEAK_BYTES_PER_TOKEN = {1: 7, 2: 14, 4: 26}  # tokens + SA + buffers while sorting, measured


@dataclass
class BuildOptions:
    """Parameters of ``tracer build`` (see the CLI for their meaning)."""

    inputs: list[str]
    out: str
    tokenizer: str = "bytes"
    normalize: bool = False
    read: ReadOptions = field(default_factory=ReadOptions)
    shard_tokens: int | None = None
    workers: int | None = None
    append: bool = False
    executor: str = "local"
    progress: bool = True
    sa_backend: str = "pydivsufsort"  # or "torch" (tracer.index.suffix_torch): same suffix arrays
    device: str | None = None  # torch backend: "cuda" / "cpu"; None = cuda when available
    ray_address: str | None = None  # --executor ray: cluster to join (None: RAY_ADDRESS or a local one)


def available_memory() -> int:
    """MemAvailable from /proc/meminfo (bytes), or a conservative guess elsewhere."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 << 30


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def default_shard_tokens(itemsize: int, workers: int) -> int:
    """Largest part that `workers` concurrent sorts fit in 60% of available memory."""
    budget = available_memory() * 0.6 / max(1, workers)
    return max(1 << 20, int(budget // PEAK_BYTES_PER_TOKEN[itemsize]))


def _input_fingerprint(inputs: list[str]) -> list[dict]:
    out = []
    for raw in inputs:
        p = Path(raw)
        files = [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file()) if p.exists() else []
        out.append({"path": raw, "files": [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files]})
    return out


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


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc="build", disable=not enabled, file=sys.stderr)


class Builder:
    """Runs one ``tracer build`` invocation against an output directory."""

    def __init__(self, opts: BuildOptions):
        self.opts = opts
        self.out = Path(opts.out)
        self.workers = opts.workers or default_workers()

    # -- planning -----------------------------------------------------------------
    def _new_batch(self, first_job: int, tokenizer_arg: str) -> dict:
        tok = load_tokenizer(tokenizer_arg)
        part_tokens = self.opts.shard_tokens or default_shard_tokens(tok.dtype.itemsize, self.workers)
        if self.opts.shard_tokens is None and self.opts.sa_backend == "torch":
            from tracer.index.suffix_torch import torch_shard_tokens

            part_tokens = torch_shard_tokens(self.opts.device, self.workers, available_memory())
        bytes_per_token = 1 if tok.dtype.itemsize == 1 else 4
        target = max(1 << 16, part_tokens * bytes_per_token)
        slices = plan_slices(self.opts.inputs, target)
        if not slices:
            raise InputError("no input files found in " + ", ".join(self.opts.inputs))
        jobs = group_into_jobs(slices, target)
        return {
            "inputs": self.opts.inputs,
            "fingerprint": _input_fingerprint(self.opts.inputs),
            "read": {"text_field": self.opts.read.text_field, "id_field": self.opts.read.id_field,
                     "on_error": self.opts.read.on_error},
            "part_tokens": part_tokens,
            "jobs": [
                ShardJob(first_job + i, tuple(j), str(self.out), tokenizer_arg, self.opts.normalize,
                         self.opts.read, part_tokens).to_json()
                for i, j in enumerate(jobs)
            ],
        }

    def _same_request(self, batch: dict) -> bool:
        return (
            batch["inputs"] == self.opts.inputs
            and batch["fingerprint"] == _input_fingerprint(self.opts.inputs)
            and batch["read"]["text_field"] == self.opts.read.text_field
            and batch["read"]["id_field"] == self.opts.read.id_field
            and (self.opts.shard_tokens is None or batch["part_tokens"] == self.opts.shard_tokens)
        )

    def _adopt_on_error(self, plan: dict, batch: dict) -> None:
        """A resumed build takes the current --on-error for its jobs still to run.

        A bad record stops a build with "use --on-error skip"; the rerun that follows that advice
        must skip, not replay the stored setting and fail again. Jobs that finished had no bad
        record, or skipped theirs, so the result is what the new command would build from scratch.
        """
        mode = self.opts.read.on_error
        if batch["read"]["on_error"] == mode:
            return
        batch["read"]["on_error"] = mode
        for job in batch["jobs"]:
            job["read"]["on_error"] = mode
        write_json_atomic(self.out / PLAN, plan)

    def _load_or_make_plan(self) -> dict:
        plan_path = self.out / PLAN
        manifest_path = self.out / MANIFEST
        if plan_path.exists():
            plan = json.loads(plan_path.read_text())
            if plan.get("normalize") != self.opts.normalize:
                raise InputError(f"{self.out}: existing build used normalize={plan.get('normalize')}; "
                                 "use the same --normalize setting or a new --out directory")
            requested = "bytes" if self.opts.tokenizer == "bytes" else "hf"
            if plan["tokenizer_kind"] != requested and not (self.opts.append and self.opts.tokenizer == "bytes"):
                raise InputError(f"{self.out}: existing build used the {plan['tokenizer_kind']} tokenizer; "
                                 "use the same --tokenizer or a new --out directory")
            if requested == "hf" and plan["tokenizer_kind"] == "hf":
                given = load_tokenizer(self.opts.tokenizer).fingerprint
                if given != load_tokenizer(self.out / TOKENIZER_FILE).fingerprint:
                    raise InputError(f"--tokenizer {self.opts.tokenizer}: differs from the tokenizer {self.out} "
                                     "was built with; use the same tokenizer.json or a new --out directory")
            last = plan["batches"][-1]
            if self._same_request(last):
                if not manifest_path.exists():
                    self._adopt_on_error(plan, last)
                return plan  # resume (or nothing to do)
            if not self.opts.append:
                if manifest_path.exists():
                    raise InputError(f"{self.out} already holds an index built from other input; "
                                     "use --append to add to it, or choose a new --out directory")
                raise InputError(f"{self.out} holds an unfinished build of other input; rerun that command "
                                 "to resume it, or delete the directory")
            if not manifest_path.exists():
                raise InputError(f"{self.out}: cannot --append to an unfinished build; finish it first")
            tok_arg = str(self.out / TOKENIZER_FILE) if plan["tokenizer_kind"] == "hf" else "bytes"
            first = max(j["job_id"] for b in plan["batches"] for j in b["jobs"]) + 1
            plan["batches"].append(self._new_batch(first, tok_arg))
            write_json_atomic(plan_path, plan)
            return plan
        if self.opts.append:
            raise InputError(f"{self.out}: no index to --append to (build one first)")
        if self.out.exists() and any(self.out.iterdir()):
            raise InputError(f"{self.out} exists and is not a tracer build; choose an empty or new directory")
        existed = self.out.exists()
        self.out.mkdir(parents=True, exist_ok=True)
        try:
            (self.out / SHARDS).mkdir(exist_ok=True)
            tok_arg = "bytes"
            kind = "bytes"
            if self.opts.tokenizer != "bytes":
                tok = load_tokenizer(self.opts.tokenizer)  # validates the file before copying
                shutil.copyfile(tok.path, self.out / TOKENIZER_FILE)
                tok_arg, kind = str(self.out / TOKENIZER_FILE), "hf"
            plan = {"format_version": FORMAT_VERSION, "tokenizer_kind": kind, "normalize": self.opts.normalize,
                    "batches": [self._new_batch(0, tok_arg)]}
            write_json_atomic(self.out / PLAN, plan)
        except BaseException:
            # The directory was empty or absent: undo, so that a failed plan (a mistyped input path,
            # a bad tokenizer) leaves nothing that would block the corrected command.
            if existed:
                for child in self.out.iterdir():
                    if child.is_dir():
                        shutil.rmtree(child)
                    else:
                        child.unlink()
            else:
                shutil.rmtree(self.out, ignore_errors=True)
            raise
        return plan

    # -- running ------------------------------------------------------------------
    def _pending(self, plan: dict) -> list[ShardJob]:
        jobs = [ShardJob.from_json(j) for b in plan["batches"] for j in b["jobs"]]
        # The sorter is how a job runs, not what it makes: a resumed build may switch it.
        return [replace(j, sa_backend=self.opts.sa_backend, device=self.opts.device)
                for j in jobs if not job_marker(self.out, j.job_id).exists()]

    def _run_jobs(self, jobs: list[ShardJob]) -> None:
        total = sum(s.size for j in jobs for s in j.slices)
        with _progress_bar(total, self.opts.progress) as bar:
            if self.opts.executor == "ray":
                from tracer.index.ray_executor import run_jobs_on_ray

                run_jobs_on_ray(jobs, bar, address=self.opts.ray_address)
                return
            workers = min(self.workers, len(jobs))
            if workers <= 1:
                done = 0
                for job in jobs:
                    run_shard_job(job, progress=bar.update)
                    done += sum(s.size for s in job.slices)
                    bar.n = done  # text characters approximate input bytes; settle on the exact figure
                    bar.refresh()
                return
            ctx = get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_exit_with_parent,
                                     initargs=(os.getpid(),)) as pool:
                futures = {pool.submit(run_shard_job, job): job for job in jobs}
                for fut in as_completed(futures):
                    fut.result()
                    bar.update(sum(s.size for s in futures[fut].slices))

    # -- manifest -----------------------------------------------------------------
    def _assemble(self, plan: dict) -> dict:
        tok_arg = str(self.out / TOKENIZER_FILE) if plan["tokenizer_kind"] == "hf" else "bytes"
        tok = load_tokenizer(tok_arg)
        shards, skipped, where = [], 0, []
        unigram = np.zeros(tok.vocab_size, dtype=np.uint64)
        for batch in plan["batches"]:
            for j in batch["jobs"]:
                record = json.loads(job_marker(self.out, j["job_id"]).read_text())
                skipped += record["skipped"]
                where.extend(record["skipped_where"])
                for part in record["parts"]:
                    path = self.out / SHARDS / part["name"]
                    unigram += np.fromfile(path / "unigram.bin", dtype=np.uint64)
                    shards.append({"path": f"{SHARDS}/{part['name']}", **part})
        files = {UNIGRAM: write_array(self.out / UNIGRAM, unigram)}
        if plan["tokenizer_kind"] == "hf":
            files[TOKENIZER_FILE] = {"size": (self.out / TOKENIZER_FILE).stat().st_size,
                                     "sha256": sha256_file(self.out / TOKENIZER_FILE)}
        manifest = {
            "format_version": FORMAT_VERSION,
            "tool": {"name": "tracer", "version": __version__},
            "tokenizer": tok.spec(),
            "dtype": tok.dtype.str.lstrip("<|="),
            "separator": tok.separator,
            "normalization": NORMALIZATION_NAME if plan["normalize"] else None,
            "shards": shards,
            "files": files,
            "blocks": write_block_table(self.out, files),  # tracer/index/blocks.py
            "n_tokens": sum(s["n_tokens"] for s in shards),
            "n_docs": sum(s["n_docs"] for s in shards),
            "skipped_records": skipped,
            "build": {"batches": [{"inputs": b["inputs"], "read": b["read"], "part_tokens": b["part_tokens"],
                                   "jobs": len(b["jobs"])} for b in plan["batches"]]},
        }
        write_json_atomic(self.out / MANIFEST, manifest)
        manifest["_skipped_where"] = where
        return manifest

    def _check_options(self) -> None:
        """Fail on a missing optional package before any directory is written."""
        if self.opts.sa_backend not in SA_BACKENDS:
            raise InputError(f"--sa-backend must be one of {', '.join(SA_BACKENDS)}, not {self.opts.sa_backend!r}")
        if self.opts.executor == "ray":
            from tracer.index.ray_executor import require_ray

            require_ray(self.opts.ray_address)
        if self.opts.sa_backend == "torch":
            from tracer.index.suffix_torch import resolve_device

            if self.opts.executor == "local":  # a Ray driver may have no GPU where its workers do
                self.opts.device = resolve_device(self.opts.device)

    def run(self) -> dict:
        self._check_options()
        plan = self._load_or_make_plan()
        pending = self._pending(plan)
        if not pending and (self.out / MANIFEST).exists():
            manifest = json.loads((self.out / MANIFEST).read_text())
            manifest["_skipped_where"] = []
            manifest["_nothing_to_do"] = True
            return manifest
        if pending:
            previous = (self.out / MANIFEST).read_bytes() if (self.out / MANIFEST).exists() else None
            if previous is not None:
                (self.out / MANIFEST).unlink()  # the index is unfinished again until the new jobs land
            try:
                self._run_jobs(pending)
            except Exception:
                if previous is not None:
                    self._roll_back_append(plan, previous)
                raise
        return self._assemble(plan)

    def _roll_back_append(self, plan: dict, manifest: bytes) -> None:
        """An --append that fails on its input (not a kill) gives the index back as it was.

        Otherwise a bad record or a truncated file in the new input would leave the existing
        index unreadable, with no way back but a full rebuild.
        """
        batch = plan["batches"].pop()
        for job in batch["jobs"]:
            job_marker(self.out, job["job_id"]).unlink(missing_ok=True)
            for part in (self.out / SHARDS).glob(f"{job['job_id']:05d}-*"):
                shutil.rmtree(part, ignore_errors=True)
        write_json_atomic(self.out / PLAN, plan)
        write_bytes_atomic(self.out / MANIFEST, manifest)


def build(inputs: list[str] | str, out: str, **kwargs) -> dict:
    """Build an index at ``out`` from ``inputs`` (see BuildOptions); returns the manifest."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [str(inputs)]
    read = ReadOptions(
        text_field=kwargs.pop("text_field", "text"),
        id_field=kwargs.pop("id_field", None),
        on_error=kwargs.pop("on_error", "raise"),
    )
    opts = BuildOptions(inputs=[str(i) for i in inputs], out=str(out), read=read, **kwargs)
    try:
        return Builder(opts).run()
    except json.JSONDecodeError as e:
        raise IndexFormatError(f"{out}: build files are corrupt ({e}); delete the directory and rebuild") from None
