"""Build (or resume, or append to) an index: plan jobs, run them, assemble the manifest last.

Resume: the plan is saved before any work; every finished job leaves a marker. Rerunning the
same command reuses finished jobs and redoes unfinished ones from scratch; jobs are
deterministic, so the result equals an uninterrupted build.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tracer import __version__
from tracer.corpus import ReadOptions, plan_jobs
from tracer.errors import IndexFormatError, InputError, TracerError
from tracer.index.blocks import write_block_table
from tracer.index.executors import Executor, make_executor
from tracer.index.format import (
    MANIFEST,
    PLAN,
    SHARDS,
    TOKENIZER_FILE,
    UNIGRAM,
    BuildPlan,
    JobRecord,
    Manifest,
    MergeJob,
    PlanBatch,
    ShardEntry,
    ShardJob,
    apply_folds,
    job_marker,
    sha256_file,
    write_array,
    write_bytes_atomic,
)
from tracer.index.merge import merge_marker, read_marker, run_merge_job, segment_entries
from tracer.index.sorters import get_sorter
from tracer.tokenize import BYTES, HF, TokenizerSpec


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
    allow_empty: bool = True  # an index of no documents is valid (queries answer 0); the CLI refuses it
    sort_tokens: int | None = None  # tokens sorted at once (default: what memory allows); --shard-tokens
    #   above it makes shards merged from sorted parts (tracer/index/merge.py)
    pointer_bytes: int | None = None  # suffix-array entry width 4 or 5 (default: narrowest that fits)


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
    """Largest part that `workers` concurrent default sorts fit in 60% of available memory."""
    return get_sorter("pydivsufsort").default_shard_tokens(itemsize, workers, available_memory(), None)


def _input_fingerprint(inputs: list[str]) -> list[dict]:
    out = []
    for raw in inputs:
        p = Path(raw)
        files = [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file()) if p.exists() else []
        out.append({"path": raw, "files": [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files]})
    return out


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc="build", disable=not enabled, file=sys.stderr)


@dataclass(frozen=True)
class Resumed:
    """What a rerun found already done: ``jobs_done`` of ``jobs_total``, finishing batch ``batch``
    of ``batches`` (batch 1 is the first build, each --append adds one)."""

    jobs_done: int
    jobs_total: int
    batch: int
    batches: int

    def describe(self, out: str) -> str:
        what = "the first build" if self.batch == 1 else f"--append batch {self.batch} of {self.batches}"
        return f"{out}: resumed an interrupted build ({what}): {self.jobs_done} of {self.jobs_total} jobs were done"


@dataclass
class BuildResult:
    """What ``tracer build`` made and what happened on the way."""

    manifest: Manifest
    skipped_where: list[str] = field(default_factory=list)  # first bad records skipped (file:line: why)
    nothing_to_do: bool = False  # the index was complete: this run changed nothing
    resumed: Resumed | None = None  # a rerun that reused finished jobs
    appended_jobs: int = 0  # jobs of the --append batch this run added (0: not an append)
    jobs_run: int = 0


class Builder:
    """Runs one ``tracer build`` invocation against an output directory."""

    def __init__(self, opts: BuildOptions):
        self.opts = opts
        self.out = Path(opts.out)
        self.workers = opts.workers or default_workers()
        self.sorter = get_sorter(opts.sa_backend)
        self.executor: Executor = make_executor(opts.executor, self.workers, opts.ray_address)

    # -- planning -----------------------------------------------------------------
    def _new_batch(self, first_job: int, spec: TokenizerSpec, first_merge: int = 0) -> PlanBatch:
        itemsize = spec.load().dtype.itemsize
        spec.release()  # the driver keeps no tokenizer through the build
        sort_tokens = self.opts.sort_tokens or self.sorter.default_shard_tokens(
            itemsize, self.workers, available_memory(), self.opts.device)
        shard_tokens = self.opts.shard_tokens
        merging = shard_tokens is not None and shard_tokens > sort_tokens
        part_tokens = sort_tokens if merging or shard_tokens is None else shard_tokens
        bytes_per_token = 1 if itemsize == 1 else 4
        target = max(1 << 16, part_tokens * bytes_per_token)
        groups = plan_jobs(self.opts.inputs, target, balanced=merging)  # a merged shard's parts: even
        if not groups:
            raise InputError("no input files found in " + ", ".join(self.opts.inputs))
        width = None if merging else self.opts.pointer_bytes  # merged: the parts are u32, the merge decides
        jobs = [ShardJob(first_job + i, tuple(j), str(self.out), spec, self.opts.read, part_tokens,
                         pointer_bytes=width) for i, j in enumerate(groups)]
        merges = self._plan_merges(jobs, shard_tokens * bytes_per_token, first_merge) if merging else []
        return PlanBatch(
            inputs=self.opts.inputs,
            fingerprint=_input_fingerprint(self.opts.inputs),
            read=self.opts.read,
            part_tokens=part_tokens,
            jobs=jobs,
            merges=merges,
            shard_tokens=shard_tokens if merging else None,
        )

    def _plan_merges(self, jobs: list[ShardJob], shard_bytes: int, first_merge: int) -> list[MergeJob]:
        """Consecutive jobs grouped up to ``shard_bytes`` of input each: one merged shard per group."""
        groups: list[list[int]] = []
        size = 0
        for job in jobs:
            if not groups or size + job.input_bytes > shard_bytes:
                groups.append([])
                size = 0
            groups[-1].append(job.job_id)
            size += job.input_bytes
        return [MergeJob(first_merge + i, f"{g[0]:05d}-merged", str(self.out), tuple(g),
                         pointer_bytes=self.opts.pointer_bytes, segment_entries=segment_entries())
                for i, g in enumerate(groups)]

    def _same_request(self, batch: PlanBatch) -> bool:
        return (
            batch.inputs == self.opts.inputs
            and batch.fingerprint == _input_fingerprint(self.opts.inputs)
            and batch.read.text_field == self.opts.read.text_field
            and batch.read.id_field == self.opts.read.id_field
            and (self.opts.shard_tokens is None or (batch.shard_tokens or batch.part_tokens) == self.opts.shard_tokens)
            and (self.opts.sort_tokens is None or not batch.merges or batch.part_tokens == self.opts.sort_tokens)
        )

    def _adopt_on_error(self, plan: BuildPlan, batch: PlanBatch) -> None:
        """A resumed build takes the current --on-error for its jobs still to run.

        A bad record stops a build with "use --on-error skip"; the rerun that follows that advice
        must skip, not replay the stored setting and fail again. Jobs that finished had no bad
        record, or skipped theirs, so the result is what the new command would build from scratch.
        """
        mode = self.opts.read.on_error
        if batch.read.on_error == mode:
            return
        batch.read = replace(batch.read, on_error=mode)
        batch.jobs = [replace(job, read=replace(job.read, on_error=mode)) for job in batch.jobs]
        plan.save(self.out)

    def _check_same_tokenizer(self, plan: BuildPlan) -> None:
        """A rerun or --append must ask for the tokenizer and normalization the index was built with."""
        if plan.tokenizer.normalized != self.opts.normalize:
            raise InputError(f"{self.out}: existing build used normalize={plan.tokenizer.normalized}; "
                             "use the same --normalize setting or a new --out directory")
        requested = BYTES if self.opts.tokenizer == BYTES else HF
        if plan.tokenizer.kind != requested and not (self.opts.append and self.opts.tokenizer == BYTES):
            raise InputError(f"{self.out}: existing build used the {plan.tokenizer.kind} tokenizer; "
                             "use the same --tokenizer or a new --out directory")
        if (requested == HF and plan.tokenizer.kind == HF
                and TokenizerSpec.parse(self.opts.tokenizer).fingerprint != plan.tokenizer.fingerprint):
            raise InputError(f"--tokenizer {self.opts.tokenizer}: differs from the tokenizer {self.out} "
                             "was built with; use the same tokenizer.json or a new --out directory")

    def _plan(self) -> BuildPlan:
        """Resume the build in --out, append a batch to it, or create a new one."""
        if (self.out / PLAN).exists():
            plan = BuildPlan.load(self.out)
            self._check_same_tokenizer(plan)
            if self._same_request(plan.batches[-1]):
                return self._resume(plan)
            return self._append(plan)
        return self._create()

    def _resume(self, plan: BuildPlan) -> BuildPlan:
        """The same command again: finished jobs are reused (or there is nothing to do)."""
        if not (self.out / MANIFEST).exists():
            self._adopt_on_error(plan, plan.batches[-1])
        return plan

    def _append(self, plan: BuildPlan) -> BuildPlan:
        """Other input: a new batch of jobs after the existing ones (--append only)."""
        if not self.opts.append:
            if (self.out / MANIFEST).exists():
                raise InputError(f"{self.out} already holds an index built from other input; "
                                 "use --append to add to it, or choose a new --out directory")
            raise InputError(f"{self.out} holds an unfinished build of other input; rerun that command "
                             "to resume it, or delete the directory")
        if not (self.out / MANIFEST).exists():
            raise InputError(f"{self.out}: cannot --append to an unfinished build; finish it first")
        spec = plan.tokenizer.with_file(self.out / TOKENIZER_FILE)
        plan.batches.append(self._new_batch(plan.next_job_id(), spec, sum(len(b.merges) for b in plan.batches)))
        plan.save(self.out)
        self.appended = True
        return plan

    def _create(self) -> BuildPlan:
        """A first build into an empty or new directory."""
        if self.opts.append:
            raise InputError(f"{self.out}: no index to --append to (build one first)")
        if self.out.exists() and any(self.out.iterdir()):
            raise InputError(f"{self.out} exists and is not a tracer build; choose an empty or new directory")
        existed = self.out.exists()
        self.out.mkdir(parents=True, exist_ok=True)
        try:
            (self.out / SHARDS).mkdir(exist_ok=True)
            spec = TokenizerSpec.parse(self.opts.tokenizer, self.opts.normalize)
            if spec.kind == HF:
                spec.load()  # validates the file before copying
                shutil.copyfile(spec.file, self.out / TOKENIZER_FILE)
                spec = spec.with_file(self.out / TOKENIZER_FILE)
            plan = BuildPlan(spec, [self._new_batch(0, spec)])
            plan.save(self.out)
        except BaseException:
            self._remove_build_files(existed)
            raise
        return plan

    def _remove_build_files(self, existed: bool) -> None:
        """Undo a first build into an empty or absent directory, so that a failure (a mistyped input
        path, a bad tokenizer, no documents) leaves nothing that would block the corrected command."""
        if existed:
            for child in self.out.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        else:
            shutil.rmtree(self.out, ignore_errors=True)

    # -- running ------------------------------------------------------------------
    def _pending(self, plan: BuildPlan) -> list[ShardJob]:
        # The sorter is how a job runs, not what it makes: a resumed build may switch it.
        return [replace(j, sa_backend=self.opts.sa_backend, device=self.opts.device)
                for j in plan.jobs if not job_marker(self.out, j.job_id).exists()]

    def _pending_merges(self, plan: BuildPlan) -> list[MergeJob]:
        return [replace(m, workers=self.workers) for b in plan.batches for m in b.merges
                if read_marker(self.out, m.name) is None]

    def _run_jobs(self, jobs: list[ShardJob], merges: list[MergeJob]) -> None:
        if jobs:
            with _progress_bar(sum(j.input_bytes for j in jobs), self.opts.progress) as bar:
                self.executor.run(jobs, bar)
        for merge in merges:  # after every part is sorted; each merge runs its segments on threads here
            run_merge_job(merge)

    def _shard_entries(self, plan: BuildPlan) -> list[ShardEntry]:
        """The index's shards in document order: the jobs' parts, merged ones replaced by their merge."""
        shards: list[ShardEntry] = []
        for batch in plan.batches:
            merged = {m.job_ids[0]: m for m in batch.merges}
            in_merge = {j for m in batch.merges for j in m.job_ids}
            for job in batch.jobs:
                if job.job_id in merged:
                    shards.extend(read_marker(self.out, merged[job.job_id].name) or [])
                elif job.job_id not in in_merge:
                    shards.extend(JobRecord.from_json(json.loads(job_marker(self.out, job.job_id).read_text())).parts)
        return apply_folds(self.out, shards)

    # -- manifest -----------------------------------------------------------------
    def _assemble(self, plan: BuildPlan) -> tuple[Manifest, list[str]]:
        tok = plan.tokenizer.without_normalization().load()
        skipped, where = 0, []
        unigram = np.zeros(tok.vocab_size, dtype=np.uint64)
        for job in plan.jobs:
            record = JobRecord.from_json(json.loads(job_marker(self.out, job.job_id).read_text()))
            skipped += record.skipped
            where.extend(record.skipped_where)
        shards = self._shard_entries(plan)
        for shard in shards:
            unigram += np.fromfile(self.out / shard.path / "unigram.bin", dtype=np.uint64)
        files = {UNIGRAM: write_array(self.out / UNIGRAM, unigram)}
        if plan.tokenizer.kind == HF:
            files[TOKENIZER_FILE] = {"size": (self.out / TOKENIZER_FILE).stat().st_size,
                                     "sha256": sha256_file(self.out / TOKENIZER_FILE)}
        manifest = Manifest(
            tool={"name": "tracer", "version": __version__},
            tokenizer=tok.spec(),
            dtype=tok.dtype.str.lstrip("<|="),
            separator=tok.separator,
            normalization=plan.tokenizer.normalization,
            shards=shards,
            files=files,
            blocks=write_block_table(self.out, files),  # tracer/index/blocks.py
            n_tokens=sum(s.n_tokens for s in shards),
            n_docs=sum(s.n_docs for s in shards),
            skipped_records=skipped,
            build={"batches": [b.summary() for b in plan.batches]},
        )
        return manifest, where

    def _check_options(self) -> None:
        """Fail on a missing optional package before any directory is written."""
        self.executor.check()
        self.opts.device = self.sorter.resolve_device(self.opts.device, here=self.executor.here)

    def run(self) -> BuildResult:
        self._check_options()
        fresh = not (self.out / PLAN).exists()
        self.appended = False
        plan = self._plan()
        pending = self._pending(plan)
        merges = self._pending_merges(plan)
        if not pending and not merges and (self.out / MANIFEST).exists():
            manifest = Manifest.from_json(json.loads((self.out / MANIFEST).read_text()))
            return BuildResult(manifest, nothing_to_do=True)
        resumed = None
        total = len(plan.jobs)
        if not fresh and not self.appended and len(pending) < total:
            first_pending = min(j.job_id for j in pending) if pending else None
            batch = next((i for i, b in enumerate(plan.batches, 1)
                          if any(j.job_id == first_pending for j in b.jobs)), len(plan.batches))
            resumed = Resumed(total - len(pending), total, batch, len(plan.batches))
        previous = (self.out / MANIFEST).read_bytes() if (self.out / MANIFEST).exists() else None
        if pending or merges:
            if previous is not None:
                (self.out / MANIFEST).unlink()  # the index is unfinished again until the new jobs land
            try:
                self._run_jobs(pending, merges)
            except Exception as e:
                if previous is not None:
                    self._roll_back_append(plan, previous)
                advised = _with_advice(e)
                if advised is e:
                    raise
                raise advised from e
        manifest, where = self._assemble(plan)
        if not self.opts.allow_empty:
            self._refuse_empty(plan, manifest, where, previous)
        manifest.save(self.out)
        return BuildResult(manifest, where, resumed=resumed,
                           appended_jobs=len(plan.batches[-1].jobs) if self.appended else 0, jobs_run=len(pending))

    def _refuse_empty(self, plan: BuildPlan, manifest: Manifest, where: list[str], previous: bytes | None) -> None:
        """No documents (an empty input, or every record skipped) is an error, not an empty index.

        A first build leaves nothing behind (so the corrected command starts clean); an --append
        gives the index back as it was.
        """
        batch = plan.batches[-1]
        records = [JobRecord.from_json(json.loads(job_marker(self.out, j.job_id).read_text())) for j in batch.jobs]
        if sum(p.n_docs for r in records for p in r.parts):
            return
        skipped = sum(r.skipped for r in records)
        why = (f"all {skipped} records were skipped as bad (first: {where[0]})" if skipped and where
               else "the input holds no records")
        message = f"no documents to index in {', '.join(batch.inputs)}: {why}"
        if len(plan.batches) == 1:
            self._remove_build_files(existed=True)
            raise InputError(message + "; nothing was written")
        if previous is not None and self.appended:
            self._roll_back_append(plan, previous)
            raise InputError(message + f"; {self.out} is unchanged")

    def _roll_back_append(self, plan: BuildPlan, manifest: bytes) -> None:
        """An --append that fails on its input (not a kill) gives the index back as it was.

        Otherwise a bad record or a truncated file in the new input would leave the existing
        index unreadable, with no way back but a full rebuild.
        """
        batch = plan.batches.pop()
        for merge in batch.merges:
            merge_marker(self.out, merge.name).unlink(missing_ok=True)
        for job in batch.jobs:
            job_marker(self.out, job.job_id).unlink(missing_ok=True)
            for part in (self.out / SHARDS).glob(f"{job.job_id:05d}-*"):
                shutil.rmtree(part, ignore_errors=True)
        plan.save(self.out)
        write_bytes_atomic(self.out / MANIFEST, manifest)


def _with_advice(e: Exception) -> Exception:
    """A full disk says where and what to do; other errors pass unchanged."""
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        where = f"{e.filename}: " if e.filename else ""
        return TracerError(f"{where}no space left on device; free some space (or choose another --out) "
                           "and rerun the same command to resume")
    return e


def build(inputs: list[str] | str, out: str, **kwargs) -> BuildResult:
    """Build an index at ``out`` from ``inputs`` (see BuildOptions); returns what was built and how."""
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
