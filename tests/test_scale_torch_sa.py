"""The torch prefix-doubling sorter gives byte-identical suffix arrays to the default backend.

Checked on the device every machine has (CPU); the same code runs on CUDA. The oracle for small
inputs is a plain sort of the suffixes as Python lists, which knows nothing of either backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_texts, write_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st

import tracer
from tracer.index.suffix import suffix_array

torch = pytest.importorskip("torch")
from tracer.index.suffix_torch import suffix_array_torch  # noqa: E402

DTYPES = (np.uint8, np.uint16, np.uint32)


def naive_sa(tokens: np.ndarray) -> np.ndarray:
    seq = tokens.tolist()
    return np.asarray(sorted(range(len(seq)), key=lambda i: seq[i:]), dtype=np.uint32)


def both(tokens: np.ndarray) -> np.ndarray:
    got = suffix_array_torch(tokens, "cpu")
    want = suffix_array(tokens)
    assert got.dtype == want.dtype == np.uint32
    assert got.tobytes() == want.tobytes()
    return got


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_inputs_match_naive_sort(dtype):
    rng = np.random.default_rng(1)
    top = np.iinfo(dtype).max
    for n in (1, 2, 3, 7, 64, 300):
        for hi in (1, 2, 5, top):
            tokens = rng.integers(0, hi, n, endpoint=True, dtype=np.uint64).astype(dtype)
            assert np.array_equal(both(tokens), naive_sa(tokens))


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_inputs(dtype):
    rng = np.random.default_rng(2)
    top = np.iinfo(dtype).max
    both(rng.integers(0, top, 50_000, endpoint=True, dtype=np.uint64).astype(dtype))
    both(rng.integers(0, 4, 50_000, dtype=np.uint64).astype(dtype))  # small alphabet, long LCPs


@pytest.mark.parametrize("dtype", DTYPES)
def test_repetitive_inputs_with_long_repeats(dtype):
    rng = np.random.default_rng(3)
    sep = np.iinfo(dtype).max
    both(np.zeros(20_000, dtype=dtype))  # every suffix a prefix of the previous one
    both(np.full(20_000, sep, dtype=dtype))
    block = rng.integers(0, 40, 997).astype(dtype)
    # a 997-token block 30 times (LCPs up to ~29k tokens), a mutation, then the block again
    both(np.concatenate([np.tile(block, 30), np.asarray([41, sep], dtype=dtype), np.tile(block, 5)]))
    both(np.tile(np.asarray([1, 2], dtype=dtype), 10_000))  # period 2
    docs = [rng.integers(0, 3, rng.integers(0, 50)).astype(dtype) for _ in range(400)]
    both(np.concatenate([np.concatenate([d, np.asarray([sep], dtype=dtype)]) for d in docs]))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(DTYPES), st.lists(st.integers(0, 3), min_size=1, max_size=80), st.integers(1, 9))
def test_property_matches_naive_sort(dtype, values, reps):
    tokens = np.asarray(values * reps, dtype=dtype)
    assert np.array_equal(both(tokens), naive_sa(tokens))


def _index_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "build-plan.json"}


@pytest.mark.parametrize("tokenizer", ["bytes", "bpe"])
def test_cli_build_with_torch_backend_equals_default(tracer_cli, bpe_tokenizer, tmp_path, tokenizer):
    texts = make_texts(300, seed=11) + ["the cat sat " * 400] * 3  # long repeats across documents
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"id": str(i), "text": t} for i, t in enumerate(texts)])
    tok = "bytes" if tokenizer == "bytes" else str(bpe_tokenizer)
    tracer.build([corpus], tmp_path / "default", id_field="id", tokenizer=tok, shard_tokens=9000,
                 workers=1, progress=False)
    proc = tracer_cli("build", corpus, "--out", tmp_path / "torch", "--id-field", "id", "--tokenizer", tok,
                      "--shard-tokens", "9000", "--workers", "1", "--sa-backend", "torch", "--device", "cpu",
                      "--quiet", timeout=300)
    assert proc.returncode == 0, proc.stderr
    a, b = _index_files(tmp_path / "default"), _index_files(tmp_path / "torch")
    assert sorted(a) == sorted(b) and len([n for n in a if n.endswith("sa.bin")]) >= 2
    for name in a:
        assert a[name] == b[name], name
    idx = tracer.open(tmp_path / "torch")
    q = "the cat sat the cat sat"
    assert idx.count(q) == sum(_overlapping(t, q) for t in texts) >= 3 * 399


def _overlapping(text: str, q: str) -> int:
    n, at = 0, text.find(q)
    while at >= 0:
        n, at = n + 1, text.find(q, at + 1)
    return n


def test_device_without_torch_backend_is_a_one_line_error(tracer_cli, expect_cli_error, tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": "x"}])
    expect_cli_error(tracer_cli("build", corpus, "--out", tmp_path / "i", "--device", "cpu"),
                     "--device applies only to --sa-backend torch")


def test_without_torch_the_cli_names_the_package(tmp_path):
    import subprocess
    import sys

    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": "x"}])
    code = ("import sys; sys.modules['torch'] = None\n"
            "from tracer.cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))")
    out = tmp_path / "idx"
    proc = subprocess.run([sys.executable, "-c", code, "build", str(corpus), "--out", str(out),
                           "--sa-backend", "torch", "--quiet"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install torch" in lines[0], proc.stderr
    assert not out.exists()
