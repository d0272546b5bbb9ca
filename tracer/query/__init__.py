"""Queries on top of the native kernels: count, find, documents, trace, overlap."""
