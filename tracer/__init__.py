"""tracer: training-data tracing, contamination and membership search over one suffix-array index.

Where things live (imports point down this list; nothing imports cli, server or client):

    cli/            the ``tracer`` command: argparse flags generated from the options objects
    server/         gRPC servicer (translation only), status codes, auth, caps, index registry
    client/         TracerClient (one server), FanOutClient (shard groups, exact merges), connect
    wire/           library values <-> tracer.v1 messages (tracer/v1 holds generated stubs only)
    contamination/  CheckOptions, per-item metrics and verdicts, reports, benchmark readers
    membership/     ScoreOptions, loss/zlib/Min-K%/Min-K%++/DC-PDD, reference-index scores, models
    query/          Index (count, find, document, trace, n-gram/∞-gram, AND/OR search) and
                    TraceOptions/FindOptions in query/options.py
    index/          build plan and shard jobs (format.py: BuildPlan, ShardJob, Manifest, ShardEntry),
                    executors (local pool, Ray), suffix sorters, block checksums, mmap reader, verify
    tokenize/       TokenizerSpec -> one tokenizer object (bytes or HF, normalization, raw offsets)
    corpus/         iter_records: the one record reader; byte slices of inputs for shard jobs
    tracer_native   (native/) numba kernels over memory-mapped arrays
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "build", "compact", "open"]


def open(path: str, verify: str = "off", **kwargs):  # noqa: A001 - mirrors the builtin on purpose
    """Open an index directory read-only (memory-mapped); see ``tracer.query.index.Index``.

    ``verify``: when to check every block checksum. ``"off"`` (default: opening stays cheap; sizes
    and the block tables are checked, and queries refuse out-of-range data), ``"startup"`` (read
    every block first; CorruptIndexError names the file and byte range), ``"background"`` (a
    low-priority scrub thread; queries raise CorruptIndexError once it found a bad block).
    """
    from tracer.query.index import Index

    return Index(path, verify=verify, **kwargs)


def build(inputs, out, **kwargs):
    """Build an index; see ``tracer.index.builder.build``."""
    from tracer.index.builder import build as _build

    return _build(inputs, out, **kwargs)


def compact(path, out=None, **kwargs):
    """Merge an index's shards into fewer, larger ones; see ``tracer.index.compact.compact``."""
    from tracer.index.compact import compact as _compact

    return _compact(path, out, **kwargs)
