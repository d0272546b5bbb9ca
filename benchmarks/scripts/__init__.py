"""Side-by-side and evaluation scripts: ``python -m benchmarks.scripts.NAME --help`` from the checkout."""
