"""Throughput of the torch suffix sorter (``--sa-backend torch``), prepared to run as one script on
a GPU machine (issue 7): the sort itself on tokens already on the device, and the end-to-end
shard time (host tokens -> device -> sort -> u32 array back on the host), with the result
checked against pydivsufsort at the smallest size.

    python -m benchmarks.scripts.gpu_sort --device cuda --sizes 100e6 500e6 1e9
    python -m benchmarks.scripts.gpu_sort --device cpu --sizes 2e6          # the same code on CPU

Tokens are text-like: Zipf-distributed "words" of 1-8 bytes (u8) or ids (u16), with 2% of the
stream copied from earlier positions in runs of 64-4096 tokens, so the doubling loop meets the
long repeats real corpora have (duplicated files, licences).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def text_like(n: int, dtype: type, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        lengths = rng.integers(2, 10, 20_000)  # 1-8 letters and a space
        table = rng.integers(97, 123, int(lengths.sum())).astype(np.uint8)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        table[offsets + lengths - 1] = 32
        ranks = np.minimum(rng.zipf(1.2, n // 2 + 16), len(lengths)) - 1
        lens = lengths[ranks]
        ends = np.cumsum(lens)
        m = int(np.searchsorted(ends, n)) + 1
        ranks, lens, ends = ranks[:m], lens[:m], ends[:m]
        pos = np.arange(int(ends[-1]), dtype=np.int64) - np.repeat(ends - lens, lens) + np.repeat(offsets[ranks], lens)
        out = table[pos][:n]
    else:
        out = (np.minimum(rng.zipf(1.2, n), 32_000) - 1).astype(np.uint16)
    for _ in range(int(n * 0.02 / 2000) + 1):  # 2% of the stream in copied runs (mean ~2k tokens)
        k = int(rng.integers(64, 4097))
        if n <= 2 * k:
            break
        src, dst = (int(x) for x in rng.integers(0, n - k, 2))
        out[dst : dst + k] = out[src : src + k].copy()
    return np.ascontiguousarray(out, dtype=dtype)


def run(sizes: list[int], device: str, dtypes: list[str]) -> list[dict]:
    import torch

    from tracer.index.suffix import suffix_array
    from tracer.index.suffix_torch import _prefix_doubling, suffix_array_torch

    results = []
    if device == "cpu":
        torch.set_num_threads(1)  # as suffix_array_torch does on CPU
    for name in dtypes:
        dtype = np.uint8 if name == "u8" else np.uint16
        for i, n in enumerate(sizes):
            tokens = text_like(n, dtype)
            sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
            if device == "cuda":
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats()
            sync()
            t = time.perf_counter()
            with torch.no_grad():
                sa_dev = _prefix_doubling(torch, tokens, device)  # includes the H2D copy of the tokens
            sync()
            sort_s = time.perf_counter() - t
            del sa_dev
            peak = torch.cuda.max_memory_allocated() if device == "cuda" else 0
            t = time.perf_counter()
            sa = suffix_array_torch(tokens, device)
            e2e_s = time.perf_counter() - t
            row = {"dtype": name, "tokens": n, "device": device,
                   "sort_s": round(sort_s, 3), "sort_tokens_per_s": round(n / sort_s),
                   "end_to_end_s": round(e2e_s, 3), "end_to_end_tokens_per_s": round(n / e2e_s),
                   "device_peak_bytes_per_token": round(peak / n, 1) if peak else None}
            if i == 0:
                t = time.perf_counter()
                want = suffix_array(tokens)
                row["pydivsufsort_s"] = round(time.perf_counter() - t, 3)
                row["identical_to_pydivsufsort"] = bool(np.array_equal(sa, want))
                del want
            del sa
            results.append(row)
            print(json.dumps(row), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    ap.add_argument("--sizes", nargs="+", type=float, default=[100e6, 500e6, 1e9])
    ap.add_argument("--dtypes", nargs="+", choices=("u8", "u16"), default=["u8", "u16"])
    a = ap.parse_args(argv)
    run([int(s) for s in a.sizes], a.device, a.dtypes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
