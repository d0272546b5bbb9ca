"""Collect ``bench_*.py`` as test modules, so ``pytest benchmarks/suites --benchmark-enable`` runs every suite."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    # a file named on the command line is collected by pytest itself; do not add it twice
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
