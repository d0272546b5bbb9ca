"""The fast controlled evaluation (benchmarks/scripts/membership_eval.py --fast): a small GPT trained on
background + members from the stdlib pool. Trained: Min-K% separates members clearly; the
untrained model and the non-member-vs-non-member control stay near chance."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # not in the default run; CI runs `pytest -m slow` after it

torch = pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "scripts" / "membership_eval.py"


@pytest.fixture(scope="module")
def fast_result(tmp_path_factory) -> dict:
    spec = importlib.util.spec_from_file_location("membership_eval", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    if len(mod.stdlib_files()) < 1000:  # a stripped Python without its .py sources: no pool here
        pytest.skip("the Python standard library sources are not installed")
    threads = torch.get_num_threads()
    try:
        return mod.run_eval(mod.FAST, tmp_path_factory.mktemp("mem_eval"), log=lambda s: None)
    finally:
        torch.set_num_threads(threads)


def test_trained_model_separates_members(fast_result):
    last = fast_result["epochs"][-1]
    assert last["epoch"] == fast_result["config"]["epochs"]
    m = last["members_vs_nonmembers"]
    assert m["min_k"]["auroc"] > 0.75, m
    assert m["min_k"]["n_members"] == fast_result["config"]["n_members"]
    # the index-calibrated score works through the same path (its frequencies include the members)
    assert m["dc_pdd"]["auroc"] > 0.65, m


def test_controls_stay_near_chance(fast_result):
    untrained = fast_result["epochs"][0]
    assert untrained["train_loss"] is None
    assert abs(untrained["members_vs_nonmembers"]["min_k"]["auroc"] - 0.5) <= 0.08
    # two unseen sets of the same source: about 3 null standard deviations (0.033 each) allowed
    for e in fast_result["epochs"]:
        for name, row in e["nonmembers_vs_nonmembers2"].items():
            assert abs(row["auroc"] - 0.5) <= 0.1, (e["epoch"], name, row)
