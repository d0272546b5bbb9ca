"""The index on disk and in memory.

``format`` (layout, typed records BuildPlan/ShardJob/JobRecord/Manifest/ShardEntry, atomic writes),
``builder`` (plan -> jobs -> manifest, resumable; returns a BuildResult), ``shard_job`` (one pure job:
slice of input -> shard part files), ``executors``/``ray_executor`` (where jobs run), ``sorters``
(suffix-array backends with their memory figures), ``blocks`` (per-block CRC-32 and scrubbing),
``reader`` (memory-mapped IndexReader) and ``verify`` (full check); ``merge`` (sorted parts or shards
-> one shard, resumable), ``compact`` (an index's shards folded into fewer) and ``pointers`` (u32 /
u40 suffix-array entries).
"""
