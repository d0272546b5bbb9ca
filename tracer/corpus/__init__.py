"""Input readers.

- ``iter_records(path)``: the one record reader (JSONL/CSV, optionally .gz/.zst; Parquet;
  Arrow; HF ``save_to_disk`` folders; folders of such files) with ``path:line`` locations,
  used by benchmark, membership, query and report inputs;
- ``plan_slices``/``read_slice``: the build's view of the same files, cut into slices that
  shard jobs read independently, each record turned into a ``Document``.
"""

from tracer.corpus.document import Document, ReadOptions, SkipLog
from tracer.corpus.records import Record, expand_input, iter_json_lines, iter_records, iter_text_lines
from tracer.corpus.sources import Slice, group_into_jobs, plan_jobs, plan_slices, read_slice

__all__ = ["Document", "ReadOptions", "Record", "SkipLog", "Slice", "expand_input", "group_into_jobs",
           "iter_json_lines", "iter_records", "iter_text_lines", "plan_jobs", "plan_slices", "read_slice"]
