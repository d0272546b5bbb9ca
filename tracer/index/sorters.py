"""Suffix-array backends in one registry, each with the memory figures the build plans with.

A backend is how a shard is sorted, never what it makes: every backend returns the same u32
suffix array, so a resumed build may switch backend and the index stays byte-identical. The
builder sizes shards and the Ray executor declares task memory from these figures alone, so
neither needs to know which backends exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tracer.errors import InputError

HOST_MEMORY_SHARE = 0.6  # of available memory, split between the concurrent sorts
MIN_SHARD_TOKENS = 1 << 20


class Sorter(Protocol):
    """A suffix-array backend."""

    name: str
    uses_device: bool  # sorts on a torch device ("cuda"/"cpu"), which a Ray task may claim as a GPU

    def resolve_device(self, device: str | None, here: bool) -> str | None:
        """The device to sort on; ``here``: the sort runs on this machine (not a Ray driver)."""

    def peak_bytes_per_token(self, itemsize: int, device: str | None) -> int:
        """Process memory per token at the sort, the build's peak (measured)."""

    def default_shard_tokens(self, itemsize: int, workers: int, available: int, device: str | None) -> int:
        """Largest part that ``workers`` concurrent sorts fit in, given ``available`` host bytes."""

    def sort(self, tokens: np.ndarray, device: str | None) -> np.ndarray:
        """u32 suffix array of ``tokens``, numeric token order; may borrow ``tokens`` meanwhile."""


@dataclass(frozen=True)
class DivSufSort:
    """libdivsufsort via pydivsufsort, on the CPU (tracer.index.suffix)."""

    name: str = "pydivsufsort"
    uses_device: bool = False

    def resolve_device(self, device: str | None, here: bool) -> str | None:
        return device

    def peak_bytes_per_token(self, itemsize: int, device: str | None) -> int:
        from tracer.index.suffix import PEAK_BYTES_PER_TOKEN

        return PEAK_BYTES_PER_TOKEN[itemsize]

    def default_shard_tokens(self, itemsize: int, workers: int, available: int, device: str | None) -> int:
        budget = available * HOST_MEMORY_SHARE / max(1, workers)
        return max(MIN_SHARD_TOKENS, int(budget // self.peak_bytes_per_token(itemsize, device)))

    def sort(self, tokens: np.ndarray, device: str | None) -> np.ndarray:
        from tracer.index.suffix import suffix_array

        return suffix_array(tokens, borrow=True)  # tokens.bin is written: sort them in place


@dataclass(frozen=True)
class TorchPrefixDoubling:
    """Prefix doubling with torch, on a GPU or the CPU (tracer.index.suffix_torch)."""

    name: str = "torch"
    uses_device: bool = True

    def resolve_device(self, device: str | None, here: bool) -> str | None:
        from tracer.index.suffix_torch import resolve_device

        return resolve_device(device) if here else device  # a Ray driver may have no GPU where its workers do

    def peak_bytes_per_token(self, itemsize: int, device: str | None) -> int:
        from tracer.index.suffix_torch import HOST_BYTES_PER_TOKEN

        return HOST_BYTES_PER_TOKEN["cuda" if device == "cuda" else "cpu"]

    def default_shard_tokens(self, itemsize: int, workers: int, available: int, device: str | None) -> int:
        from tracer.index.suffix_torch import torch_shard_tokens

        return torch_shard_tokens(device, workers, available)

    def sort(self, tokens: np.ndarray, device: str | None) -> np.ndarray:
        from tracer.index.suffix_torch import suffix_array_torch

        return suffix_array_torch(tokens, device)


SORTERS: dict[str, Sorter] = {s.name: s for s in (DivSufSort(), TorchPrefixDoubling())}
SA_BACKENDS = tuple(SORTERS)


def get_sorter(name: str) -> Sorter:
    try:
        return SORTERS[name]
    except KeyError:
        raise InputError(f"--sa-backend must be one of {', '.join(SORTERS)}, not {name!r}") from None
