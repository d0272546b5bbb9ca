"""pytest-benchmark suites: ``pytest benchmarks/suites --benchmark-enable`` (skipped without their index)."""
