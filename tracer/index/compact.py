"""``tracer compact``: fold an index's shards into fewer, larger ones, atomically and resumably.

Consecutive shards are grouped (by token count, at most ``max_shards`` groups) and each group of
two or more is merged into a new shard (tracer/index/merge.py: documents concatenated in order, so
document numbers and ids do not change; suffix arrays merged). Queries touch fewer shards, with
the same answers.

Atomic: the new shards are written beside the old ones; ``folds.json`` records them (so a later
``tracer build --append`` or resumed build lists the new shards), then ``manifest.json`` is
replaced in one rename, and only then are the old shards deleted. A reader sees the old index or
the new one, never a mix. Resumable: ``compact-plan.json`` holds the groups; merges that finished
are kept, an unfinished one resumes at its next segment; rerunning the command finishes the job.
With ``out`` the index is first replicated there by hard links (files are never rewritten in
place, so the source index is not touched) and compacted in the replica.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from tracer.errors import InputError
from tracer.index.format import (
    COMPACT_PLAN,
    MANIFEST,
    SHARDS,
    CompactPlan,
    Fold,
    Manifest,
    ShardEntry,
    fsync_dir,
    load_folds,
    save_folds,
    write_json_atomic,
)
from tracer.index.merge import merge_marker, merge_shards, read_marker
from tracer.index.merge import segment_entries as default_segment_entries
from tracer.index.pointers import POINTER_BYTES

REPLICA = ".compact-replica"  # in --out: the hard-link copy of the index is not finished yet


@dataclass
class CompactResult:
    """What a compaction did."""

    path: Path
    shards_before: int
    shards_after: int
    merged: int  # new shards written
    nothing_to_do: bool = False
    resumed: bool = False


def group_shards(sizes: list[int], max_shards: int) -> list[list[int]]:
    """Consecutive shard indexes in at most ``max_shards`` groups of about equal tokens."""
    total = max(1, sum(sizes))
    groups: list[list[int]] = []
    last = -1
    cum = 0
    for i, n in enumerate(sizes):
        g = min(max_shards - 1, int((cum + n / 2) * max_shards // total))
        if g != last:
            groups.append([])
            last = g
        groups[-1].append(i)
        cum += n
    return groups


def _replicate(src: Path, dst: Path) -> None:
    """Hard-link (or copy, across file systems) every finished file of the index ``src`` into ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    (dst / REPLICA).touch()
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if not d.endswith(".tmp")]
        rel = Path(dirpath).relative_to(src)
        (dst / rel).mkdir(exist_ok=True)
        for f in filenames:
            if f.endswith(".tmp") or f in (REPLICA, COMPACT_PLAN):
                continue
            target = dst / rel / f
            if target.exists():
                target.unlink()
            try:
                os.link(Path(dirpath) / f, target)
            except OSError:
                shutil.copy2(Path(dirpath) / f, target)
    (dst / REPLICA).unlink()
    fsync_dir(dst)


def _prepare_out(src: Path, out: Path) -> None:
    if out.resolve() == src.resolve():
        return
    if out.exists() and any(out.iterdir()) and not (out / REPLICA).exists() and not (out / COMPACT_PLAN).exists():
        if (out / MANIFEST).exists():
            return  # a finished compaction to --out (checked below for nothing to do)
        raise InputError(f"--out {out}: exists and is not a compaction of {src}; choose a new directory")
    if not (out / COMPACT_PLAN).exists():
        _replicate(src, out)


def compact(path: str | Path, out: str | Path | None = None, max_shards: int = 1, workers: int | None = None,
            pointer_bytes: int | None = None, segment_entries: int | None = None,
            progress: Callable[[int], None] | None = None) -> CompactResult:
    """Merge the shards of the index at ``path`` into at most ``max_shards`` (in place, or into ``out``)."""
    from tracer.index.reader import IndexReader

    if max_shards < 1:
        raise InputError(f"--max-shards must be at least 1, not {max_shards}")
    if pointer_bytes is not None and pointer_bytes not in POINTER_BYTES:
        raise InputError(f"--pointer-bytes must be 4 or 5, not {pointer_bytes}")
    src = Path(path)
    if out is not None and not (Path(out) / COMPACT_PLAN).exists():
        IndexReader(src)  # a readable, finished index before anything is written
    root = Path(out) if out is not None else src
    if out is not None:
        _prepare_out(src, root)
    reader = IndexReader(root)
    manifest = reader.record
    plan_path = root / COMPACT_PLAN
    resumed = plan_path.exists()
    if resumed:
        plan = CompactPlan.from_json(json.loads(plan_path.read_text()))
        if plan.max_shards != max_shards or plan.pointer_bytes != pointer_bytes:
            raise InputError(f"{root}: a compaction with --max-shards {plan.max_shards} is unfinished; rerun it "
                             "with the same options to finish it first")
    else:
        shards = manifest.shards
        if len(shards) <= max_shards and (pointer_bytes is None or all(s.pointer_bytes == pointer_bytes
                                                                       for s in shards)):
            return CompactResult(root, len(shards), len(shards), 0, nothing_to_do=True)
        generation = 1 + len(load_folds(root))
        groups = group_shards([s.n_tokens for s in shards], max_shards)
        plan = CompactPlan(max_shards, pointer_bytes, [
            Fold(f"c{generation:03d}-{g[0]:05d}", [shards[i].name for i in g], []) for g in groups
            if len(g) > 1 or (pointer_bytes is not None and shards[g[0]].pointer_bytes != pointer_bytes)])
        write_json_atomic(plan_path, plan.to_json())
    by_name = {s.name: s for s in manifest.shards}
    for s in load_folds(root):  # sources already folded in an earlier, interrupted run of this plan
        for e in s.shards:
            by_name.setdefault(e.name, e)
    for group in plan.groups:
        done = read_marker(root, group.name)
        if done is None:
            entries = [by_name[n] for n in group.sources]
            done = [merge_shards(root, entries, group.name, separator=manifest.separator,
                                 dtype=reader.dtype, pointer_bytes=pointer_bytes, workers=workers or 1,
                                 segment_entries=segment_entries or default_segment_entries(), decode=reader.tokenizer.decode,
                                 progress=progress)]
        group.shards = done
    before = len(manifest.shards)
    new_manifest = _commit(root, manifest, plan)
    return CompactResult(root, before, len(new_manifest.shards),
                         sum(1 for g in plan.groups if g.shards), resumed=resumed)


def _commit(root: Path, manifest: Manifest, plan: CompactPlan) -> Manifest:
    """folds.json, then the manifest in one rename, then the old shards go."""
    folds = load_folds(root)
    known = {f.name for f in folds}
    save_folds(root, folds + [g for g in plan.groups if g.name not in known])
    shards: list[ShardEntry] = list(manifest.shards)
    for g in plan.groups:
        names = [s.name for s in shards]
        if g.sources[0] in names:
            i = names.index(g.sources[0])
            shards = shards[:i] + g.shards + shards[i + len(g.sources):]
    new = replace(manifest, shards=shards)
    new.save(root)
    fsync_dir(root)
    keep = {s.name for s in shards}
    for g in plan.groups:
        for name in g.sources:
            if name not in keep:
                shutil.rmtree(root / SHARDS / name, ignore_errors=True)
    (root / COMPACT_PLAN).unlink(missing_ok=True)
    for g in plan.groups:  # after the plan: a rerun never looks for a marker it removed
        merge_marker(root, g.name).unlink(missing_ok=True)
    return new
