"""Index builder, on-disk format and memory-mapped reader."""
