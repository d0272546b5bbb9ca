"""Benchmarks and evaluations (not part of the installed package; numbers in RESULTS.md).

- ``suites/``: pytest-benchmark suites, ``pytest benchmarks/suites --benchmark-enable``;
- ``scripts/``: side-by-side comparisons, load tests and labelled evaluations, each run from the
  checkout as ``python -m benchmarks.scripts.NAME ...`` (``scripts/run_core.sh`` chains the core ones);
- ``common.py``: where the shared data and the benchmark indexes are, and what several share.
"""
