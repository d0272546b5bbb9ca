"""Suffix arrays by prefix doubling with torch, so a shard can be sorted on a GPU.

The result is exactly the array ``tracer.index.suffix.suffix_array`` returns (numeric token
order, a suffix that is a prefix of another sorts first), so the two backends are
interchangeable inside one index.

Method: tokens are mapped to dense codes 1..d (0 marks "past the end"); the first k codes of
every suffix are packed into one int64 key and sorted. Each suffix's rank is the first SA slot
of its group of equal keys. Then, while some groups hold more than one suffix, only those
suffixes are re-sorted by the pair (rank[i], rank[i + h]) packed into one int64, which orders
them by their first 2h tokens; h doubles each round. A suffix shorter than the compared
prefix has a key no other suffix shares, so the loop ends after about log2(longest repeat)
rounds.

Memory: about 56 bytes per token on the device at the first (full) sort, less afterwards.
"""

from __future__ import annotations

import numpy as np

from tracer.errors import InputError
from tracer.index.suffix import max_shard_tokens

DEVICE_BYTES_PER_TOKEN = 56  # codes/keys/sort output/indices/ranks at the first full sort, measured
HOST_BYTES_PER_TOKEN = {"cpu": 64, "cuda": 24}  # process peak while sorting one shard on that device
DEVICE_MEMORY_SHARE = 0.8  # leave room for the CUDA context and allocator slack


def _torch():
    try:
        import torch
    except ImportError:
        raise InputError("--sa-backend torch needs the 'torch' package: pip install torch") from None
    return torch


def resolve_device(device: str | None) -> str:
    """'cuda' or 'cpu'; None picks cuda when a GPU is visible."""
    torch = _torch()
    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cuda", "cpu"):
        raise InputError(f"--device must be cuda or cpu, not {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: torch sees no CUDA GPU (use --device cpu, or the default backend)")
    return device


def device_shard_tokens(device: str, workers: int = 1) -> int | None:
    """Largest shard (tokens) whose sort fits the free memory of the GPU, shared by ``workers``; None on CPU."""
    if device != "cuda":
        return None
    torch = _torch()
    free, _total = torch.cuda.mem_get_info()
    return max(1 << 20, int(free * DEVICE_MEMORY_SHARE / max(1, workers) // DEVICE_BYTES_PER_TOKEN))


def torch_shard_tokens(device: str | None, workers: int, host_available: int) -> int:
    """Default shard size for the torch backend: what ``workers`` concurrent sorts fit in 60% of
    host memory and, on CUDA, in the GPU's free memory. A machine without the GPU (a Ray driver)
    sizes by host memory only."""
    torch = _torch()
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    tokens = int(host_available * 0.6 / max(1, workers) // HOST_BYTES_PER_TOKEN[device])
    if device == "cuda" and torch.cuda.is_available():
        tokens = min(tokens, device_shard_tokens(device, workers))
    return max(1 << 20, tokens)


def _group_ranks(torch, keys_sorted, slots):
    """For keys sorted ascending at SA ``slots`` (ascending, contiguous per group), return
    (rank of each element = slot where its group of equal keys starts, mask of elements in groups > 1)."""
    m = keys_sorted.shape[0]
    starts = torch.ones(m, dtype=torch.bool, device=keys_sorted.device)
    starts[1:] = keys_sorted[1:] != keys_sorted[:-1]
    index = torch.arange(m, device=keys_sorted.device)
    first = torch.cummax(torch.where(starts, index, torch.zeros_like(index)), dim=0).values
    ranks = slots[first]
    ends = torch.ones(m, dtype=torch.bool, device=keys_sorted.device)
    ends[:-1] = starts[1:]
    return ranks, ~(starts & ends)


def _initial_keys(torch, tokens: np.ndarray, device: str):
    """Dense codes of the tokens packed k to an int64 key per suffix; returns (keys, k)."""
    t = torch.from_numpy(tokens.astype(np.int64, copy=False)).to(device)
    values, codes = torch.unique(t, sorted=True, return_inverse=True)
    del t
    bits = int(values.shape[0]).bit_length()  # codes 1..d need this many bits; 0 is "past the end"
    k = max(1, 63 // bits)
    n = codes.shape[0]
    padded = torch.zeros(n + k, dtype=torch.int64, device=device)
    padded[:n] = codes + 1
    del codes
    keys = torch.zeros(n, dtype=torch.int64, device=device)
    for j in range(k):
        keys <<= bits
        keys |= padded[j : j + n]
    return keys, k


def suffix_array_torch(tokens: np.ndarray, device: str | None = None) -> np.ndarray:
    """u32 suffix array of ``tokens`` (u8/u16/u32) computed with torch on ``device``."""
    torch = _torch()
    device = resolve_device(device)
    n = int(tokens.shape[0])
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    if n > max_shard_tokens(tokens.dtype.itemsize):
        raise ValueError(f"shard of {n} tokens exceeds the 32-bit suffix array ({max_shard_tokens(tokens.dtype.itemsize)})")
    # On CPU, one thread: shard jobs already run one per core, and torch's thread pool waits on its
    # slowest thread, which on a busy machine made a 2M-token sort 12x slower with 2 threads.
    threads = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(1)
    try:
        with torch.no_grad():
            sa = _prefix_doubling(torch, tokens, device)
    except torch.cuda.OutOfMemoryError:
        raise InputError(f"GPU out of memory sorting a shard of {n} tokens; lower --shard-tokens "
                         f"(about {DEVICE_BYTES_PER_TOKEN} bytes per token are needed)") from None
    finally:
        torch.set_num_threads(threads)
    return sa.to(torch.int64).cpu().numpy().astype(np.uint32)


def _prefix_doubling(torch, tokens: np.ndarray, device: str):
    n = int(tokens.shape[0])
    keys, h = _initial_keys(torch, tokens, device)
    keys, order = torch.sort(keys)
    sa = order.to(torch.int32)
    del order
    slots = torch.arange(n, dtype=torch.int32, device=device)
    ranks_sorted, active = _group_ranks(torch, keys, slots)
    del keys
    rank = torch.empty(n + 1, dtype=torch.int32, device=device)
    rank[n] = -1  # the empty suffix: sorts before every token
    rank[sa.long()] = ranks_sorted
    del ranks_sorted
    slots = slots[active]
    stride = n + 1
    while slots.numel():
        suffixes = sa[slots.long()].long()
        # A suffix still in a group has at least h tokens (a shorter one had a unique key), so
        # suffix + h <= n; rank[n] = -1 stands for the empty rest, and +1 makes it 0.
        keys = rank[suffixes].long() * stride + rank[suffixes + h].long() + 1
        keys, order = torch.sort(keys)
        suffixes = suffixes[order]
        del order
        ranks_sorted, still = _group_ranks(torch, keys, slots)
        del keys
        sa[slots.long()] = suffixes.to(torch.int32)
        rank[suffixes] = ranks_sorted
        slots = slots[still]
        h *= 2
    return sa
