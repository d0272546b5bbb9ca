"""The in-RAM suffix-array sample (tracer/index/sample.py): lookups narrowed by it answer exactly as
the full binary search and a brute-force scan; a damaged sample is named by `tracer verify` and
refused on open; an index without one still answers, and `tracer sample` adds it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import make_texts, write_jsonl

import tracer
import tracer_native as tn
from tracer.errors import CorruptIndexError
from tracer.index.sample import FENCE, SAMPLE, decode_sample, encode_sample
from tracer.index.suffix import suffix_array


def _sample(tokens: np.ndarray, sa: np.ndarray, every: int, prefix: int):
    data = b"".join(bytes(p) for p in encode_sample(tokens, sa, every=every, prefix=prefix))
    return decode_sample(Path("sample.bin"), data, tokens.dtype, len(sa)).args


def _brute(tokens: np.ndarray, q: np.ndarray) -> tuple[int, int]:
    """(suffixes sorting before q, suffixes starting with q), by comparing every suffix."""
    seq, qs = tokens.tolist(), q.tolist()
    below = sum(1 for p in range(len(seq)) if seq[p : p + len(qs)] < qs)
    match = sum(1 for p in range(len(seq)) if seq[p : p + len(qs)] == qs)
    return below, below + match


def _corpus(dtype, seed: int, n: int = 600) -> np.ndarray:
    """Few symbols (long repeats), documents ended by the separator, as the builder lays them out."""
    rng = np.random.default_rng(seed)
    sep = np.iinfo(dtype).max
    alpha = {np.uint8: [0, 1, 2, 3], np.uint16: [0, 1, 0x0100, 0xFF00],
             np.uint32: [0, 1, 0xFFFF, 0x12345]}[dtype]  # u32: ids past the lookup's 16-bit cap
    alpha = np.asarray(alpha, dtype=dtype)
    tokens = rng.choice(alpha, size=n).astype(dtype)
    tokens[rng.integers(0, n, 12)] = sep
    tokens[-1] = sep
    return tokens


def _queries(tokens: np.ndarray, rows: np.ndarray, lens: np.ndarray, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    sep = np.iinfo(tokens.dtype).max
    alpha = np.unique(tokens[tokens != sep])
    out = []
    for s, n in zip(rng.integers(0, len(tokens), 60), rng.integers(1, 14, 60), strict=True):  # present, some > prefix
        out.append(tokens[s : s + n])
    out += [rng.choice(alpha, size=int(n)).astype(tokens.dtype) for n in rng.integers(1, 10, 40)]  # mostly absent
    for j in rng.integers(0, len(rows), 30):  # exactly a sample row, one token more, one less
        row = rows[j, : lens[j]]
        out += [row, np.append(row, alpha[j % len(alpha)]).astype(tokens.dtype), row[:-1]]
    out.append(np.full(3, alpha.max(), dtype=tokens.dtype))  # past the last row
    out.append(np.full(2, alpha.min(), dtype=tokens.dtype))
    return [q[q != sep] for q in out if len(q[q != sep])]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(("every", "prefix"), [(1, 1), (4, 3), (7, 2), (16, 5), (1000, 4)])
def test_sampled_kernels_equal_full_search_and_brute_force(dtype, every, prefix):
    tokens = _corpus(dtype, seed=every * 7 + prefix)
    sa = suffix_array(tokens)
    rows, lens, k, lookup = _sample(tokens, sa, every, prefix)
    assert rows.shape == (-(-len(sa) // every), prefix) and k == every
    for q in _queries(tokens, rows, lens, seed=every + prefix):
        q = np.ascontiguousarray(q)
        want = _brute(tokens, q)
        assert tn.sa_range(tokens, sa, q, 0, len(q)) == want
        assert tn.sampled_range(tokens, sa, rows, lens, k, lookup, q, 0, len(q)) == want, (q, every, prefix)
        la, lb, ha, hb = tn.sample_bounds(rows, lens, k, lookup, len(sa), q, 0, len(q))
        assert la <= want[0] <= lb and ha <= want[1] <= hb
        if len(q) <= prefix:  # the query fits in a row: one block per side
            assert lb - la <= every and hb - ha <= every
    # batch counts, longest prefixes and span ranges: sampled == unsampled
    qs = _queries(tokens, rows, lens, seed=99)
    flat = np.concatenate(qs).astype(dtype)
    offsets = np.concatenate([[0], np.cumsum([len(q) for q in qs])]).astype(np.int64)
    assert tn.sampled_count_batch(tokens, sa, rows, lens, k, lookup, flat, offsets).tolist() == [
        _brute(tokens, q)[1] - _brute(tokens, q)[0] for q in qs]
    limits = np.minimum(np.arange(len(flat)) + np.random.default_rng(1).integers(1, 20, len(flat)), len(flat))
    got = tn.sampled_longest_prefix_lengths(tokens, sa, rows, lens, k, lookup, flat, limits)
    assert got.tolist() == tn.longest_prefix_lengths(tokens, sa, flat, limits).tolist()
    starts = np.arange(len(flat), dtype=np.int64)
    a = tn.sampled_ranges_of_spans(tokens, sa, rows, lens, k, lookup, flat, starts, got)
    b = tn.ranges_of_spans(tokens, sa, flat, starts, got)
    assert a[0].tolist() == b[0].tolist() and a[1].tolist() == b[1].tolist()
    # the ∞-gram kernels, whose searches from the root go through the sample
    sep = int(np.iinfo(dtype).max)
    assert all(np.array_equal(x, y) for x, y in zip(
        tn.sampled_infgram_scan(tokens, sa, rows, lens, k, lookup, flat, sep, -1), tn.infgram_scan(tokens, sa, flat, sep, -1),
        strict=True))
    segs = np.asarray([0, len(flat) // 2, len(flat)], dtype=np.int64)
    st = np.asarray([0] * (len(flat) // 2) + [len(flat) // 2] * (len(flat) - len(flat) // 2), dtype=np.int64)
    st = np.minimum(st, np.arange(len(flat)))
    assert all(np.array_equal(x, y) for x, y in zip(
        tn.sampled_backoff_counts(tokens, sa, rows, lens, k, lookup, flat, st, segs), tn.backoff_counts(tokens, sa, flat, st, segs),
        strict=True))


@pytest.mark.parametrize(("dtype", "prefix"), [(np.uint8, 1), (np.uint8, 3), (np.uint16, 2), (np.uint32, 2)])
def test_lookup_table_holds_each_row_under_its_key(dtype, prefix):
    """Every row lies in its key's bucket, and a query's bucket holds exactly the rows that share
    its key (brute force over the rows): the row search may start there."""
    tokens = _corpus(dtype, seed=11, n=400)
    sa = suffix_array(tokens)
    rows, lens, _, lookup = _sample(tokens, sa, 3, prefix)
    two = dtype == np.uint8 and prefix >= 2

    def key(row: list[int]) -> int:
        if dtype == np.uint8:
            return (row[0] << 8) | (row[1] if two and len(row) > 1 else 0)
        return min(row[0], 0xFFFF)

    keys = [key(rows[j, : lens[j]].tolist()) for j in range(len(rows))]
    fence = -(-len(rows) // FENCE) if dtype == np.uint8 else 0  # byte rows: the fence keys follow the buckets
    assert len(lookup) == (1 << 16) + 1 + fence and lookup[0] == 0 and lookup[1 << 16] == len(rows)
    for j, k in enumerate(keys):
        assert lookup[k] <= j < lookup[k + 1]
    for q in _queries(tokens, rows, lens, seed=5):
        r0, r1 = tn.search.bucket_rows(rows, lookup, q, 0, len(q))
        head = q.tolist()
        if dtype == np.uint8 and (not two or len(q) < 2):  # the second byte is unknown: all 256 keys
            want = [j for j, k in enumerate(keys) if k >> 8 == head[0]]
        else:
            want = [j for j, k in enumerate(keys) if k == key(head)]
        assert list(range(r0, r1)) == want


def _row_bounds_brute(rows: np.ndarray, lens: np.ndarray, q: np.ndarray) -> tuple[int, int]:
    """(first row >= q, first row > q) comparing as far as a row goes (a row that ends first is less)."""
    m = min(len(q), rows.shape[1])
    head = q[:m].tolist()
    below = sum(1 for j in range(len(rows)) if rows[j, : min(lens[j], m)].tolist() + [-1] * int(lens[j] < m) < head)
    equal = sum(1 for j in range(len(rows)) if lens[j] >= m and rows[j, :m].tolist() == head)
    return below, below + equal


@pytest.mark.parametrize(("every", "prefix"), [(1, 8), (2, 8), (1, 3), (3, 12)])
def test_fence_pins_rows_and_answers_exactly(every, prefix):
    """Byte shards search their sample's fence keys (every FENCE-th row's first 8 bytes) before the
    rows: the windows hold the brute-force row bounds, FENCE rows wide when the compared length
    fits in 8 bytes; counts and longest matches equal brute force and the unsampled search. The
    corpus has NUL bytes (a query holding one must not trust the zero-padded keys of rows cut
    short at the shard's end) and runs that make rows equal past 8 bytes."""
    rng = np.random.default_rng(every * 10 + prefix)
    n = 2000
    tokens = rng.choice(np.asarray([0, 7, 97, 98, 99, 200], dtype=np.uint8), size=n, p=[.02, .08, .3, .3, .2, .1])
    tokens[rng.integers(0, n, 20)] = 0xFF
    tokens[300:340] = 97  # equal rows past any width
    tokens[-1] = 0xFF
    sa = suffix_array(tokens)
    rows, lens, k, lookup = _sample(tokens, sa, every, prefix)
    assert len(lookup) > (1 << 16) + 1 + 2  # a fence of several keys
    qs = [tokens[s : s + m] for s, m in zip(rng.integers(0, n, 150), rng.integers(1, 20, 150), strict=True)]
    qs += [rows[j, : lens[j]] for j in rng.integers(0, len(rows), 40)] + [tokens[-4:], tokens[-2:]]
    qs += [rng.choice(np.asarray([7, 97, 98, 99, 200], dtype=np.uint8), size=int(m)) for m in rng.integers(1, 12, 40)]
    pinned = 0
    for q in (np.ascontiguousarray(q) for q in qs if len(q) and 0xFF not in q.tolist()[:-1]):
        want = _brute(tokens, q)
        assert tn.sampled_range(tokens, sa, rows, lens, k, lookup, q, 0, len(q)) == want, q.tolist()
        assert tn.sa_range(tokens, sa, q, 0, len(q)) == want
        ok, a0, a1, c0, c1 = tn.search.fence_windows(rows, lens, lookup, q, 0, len(q))
        a, c = _row_bounds_brute(rows, lens, q)
        assert ok == (0 not in q[: min(len(q), prefix, 8)].tolist())
        if ok:
            assert a0 <= a <= a1 and c0 <= c <= c1, (q.tolist(), a, c, (a0, a1, c0, c1))
            if min(len(q), prefix) <= 8:
                assert a1 - a0 <= FENCE and c1 - c0 <= FENCE
                pinned += 1
    assert pinned > 50
    flat = np.concatenate(qs).astype(np.uint8)
    limits = np.minimum(np.arange(len(flat)) + rng.integers(1, 24, len(flat)), len(flat))
    got = tn.sampled_longest_prefix_lengths(tokens, sa, rows, lens, k, lookup, flat, limits)
    assert got.tolist() == _brute_longest(tokens, flat, limits)


def _brute_longest(tokens: np.ndarray, query: np.ndarray, limits: np.ndarray) -> list[int]:
    text = tokens.tobytes()
    out = []
    for i in range(len(query)):
        m = 0
        while i + m < limits[i] and query[i : i + m + 1].tobytes() in text:
            m += 1
        out.append(m)
    return out


def test_sample_rows_are_the_suffix_prefixes():
    tokens = _corpus(np.uint16, seed=3, n=200)
    sa = suffix_array(tokens)
    rows, lens, _, _ = _sample(tokens, sa, 5, 4)
    for j, p in enumerate(sa[::5].tolist()):
        real = tokens[p : p + 4]
        assert lens[j] == len(real) and rows[j, : lens[j]].tolist() == real.tolist()


# -- an index on disk --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("sample")
    texts = make_texts(120, seed=4)
    corpus = write_jsonl(root / "c.jsonl", [{"text": t} for t in texts])
    tracer.build([str(corpus)], str(root / "index"), shard_tokens=4000, progress=False)
    return root / "index", texts


@pytest.fixture
def index(built, tmp_path) -> Path:
    shutil.copytree(built[0], tmp_path / "index")
    return tmp_path / "index"


def _brute_count(texts: list[str], q: str) -> int:
    b = q.encode()
    total = 0
    for t in texts:
        data = t.encode()
        at = data.find(b)
        while at >= 0:
            total += 1
            at = data.find(b, at + 1)
    return total


def _strip_samples(index: Path) -> None:
    """The index as built before samples: no sample.bin, not in the manifest."""
    m = json.loads((index / "manifest.json").read_text())
    for e in m["shards"]:
        e["files"].pop(SAMPLE)
        (index / e["path"] / SAMPLE).unlink()
        # the block table keeps the sample's CRCs: harmless (verify checks the files the manifest lists)
    (index / "manifest.json").write_text(json.dumps(m))


def test_built_index_has_samples_and_answers_like_brute_force(built):
    path, texts = built
    idx = tracer.open(str(path))
    assert len(idx.shards) >= 2 and all(s.sample is not None for s in idx.shards)
    sizes = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    assert sum((s.path / SAMPLE).stat().st_size for s in idx.shards) < 0.05 * sizes
    for q in ["the", "e", "of the", texts[5][3:40], texts[17][:7], "zzzq", "tion "]:
        assert idx.count(q) == _brute_count(texts, q), q
    found = idx.find("the", limit=3)
    assert found.count == _brute_count(texts, "the")


def test_index_without_sample_answers_and_sample_command_adds_it(index, built, tracer_cli):
    texts = built[1]
    _strip_samples(index)
    idx = tracer.open(str(index))
    assert all(s.sample is None for s in idx.shards)
    queries = ["the", texts[3][:12], "qqqz", "a"]
    before = [idx.count(q) for q in queries]
    assert before == [_brute_count(texts, q) for q in queries]
    trace_before = idx.trace(texts[9][:300]).to_json()
    proc = tracer_cli("verify", index)
    assert proc.returncode == 0 and f"tracer sample {index}" in proc.stderr, proc.stderr
    proc = tracer_cli("sample", index)
    assert proc.returncode == 0, proc.stderr
    idx2 = tracer.open(str(index))
    assert all(s.sample is not None for s in idx2.shards)
    assert [idx2.count(q) for q in queries] == before
    assert idx2.trace(texts[9][:300]).to_json() == trace_before
    proc = tracer_cli("verify", index)
    assert proc.returncode == 0 and "sample" not in proc.stderr, proc.stderr
    assert "already" in tracer_cli("sample", index).stdout


def test_corrupt_sample_is_named_by_verify_and_refused_on_open(index, tracer_cli):
    shard = sorted(p for p in (index / "shards").iterdir() if p.is_dir())[1]
    data = bytearray((shard / SAMPLE).read_bytes())
    data[len(data) - 3] ^= 0x01  # a token of the last row: only the checksum can tell
    (shard / SAMPLE).write_bytes(bytes(data))
    with pytest.raises(CorruptIndexError, match=r"sample\.bin.*checksum mismatch.*tracer sample"):
        tracer.open(str(index))
    proc = tracer_cli("verify", index)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert str(shard / SAMPLE) in proc.stderr and "checksum mismatch" in proc.stderr, proc.stderr
    proc = tracer_cli("count", "--index", index, "the")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "sample.bin" in proc.stderr, proc.stderr
    assert "already" in tracer_cli("sample", index).stdout  # without --repair a present sample is kept
    proc = tracer_cli("sample", "--repair", index)
    assert proc.returncode == 0 and "1 shard" in proc.stdout, proc.stdout + proc.stderr
    assert tracer_cli("verify", index).returncode == 0
    assert tracer_cli("count", "--index", index, "the").returncode == 0


def test_truncated_sample_added_later_is_refused(index, tracer_cli):
    """A sample added by `tracer sample` is vouched for by the manifest's sha256 alone."""
    _strip_samples(index)
    assert tracer_cli("sample", index, "--every", "3", "--prefix", "5").returncode == 0
    shard = sorted(p for p in (index / "shards").iterdir() if p.is_dir())[0]
    data = (shard / SAMPLE).read_bytes()
    (shard / SAMPLE).write_bytes(data[:-8])
    with pytest.raises(CorruptIndexError, match=r"sample\.bin.*size"):
        tracer.open(str(index))
    assert tracer_cli("verify", index).returncode == 2


def test_parallel_shard_lookups_answer_the_same(built):
    path, texts = built
    queries = ["the", texts[2][:20], "in", "zzz"]
    answers = {}
    for mode in ("off", "on", "auto"):
        idx = tracer.open(str(path))
        idx.parallel_shards = mode
        answers[mode] = ([idx.count(q) for q in queries], idx.count_many(queries),
                         idx.trace(texts[7][:200]).to_json(), idx.find("the", limit=5).to_json())
    assert answers["off"] == answers["on"] == answers["auto"]
    assert answers["off"][0] == [_brute_count(texts, q) for q in queries]


def test_sample_of_40_bit_pointers_equals_the_u32_one():
    """The sample stores tokens, not pointers: the same suffix array as (n, 5) little-endian bytes
    (the u40 layout) gives the same file."""
    tokens = _corpus(np.uint8, seed=8, n=300)
    sa = suffix_array(tokens)
    u40 = np.zeros((len(sa), 5), dtype=np.uint8)
    u40[:, :4] = sa.view(np.uint8).reshape(-1, 4)
    a = b"".join(bytes(p) for p in encode_sample(tokens, sa, every=4, prefix=3))
    b = b"".join(bytes(p) for p in encode_sample(tokens, u40, every=4, prefix=3))
    c = b"".join(bytes(p) for p in encode_sample(tokens, lambda i, j, k: sa[i:j:k], len(sa), every=4, prefix=3))
    assert a == b == c


@pytest.mark.parametrize("width", [4, 5])
def test_sample_read_from_the_file_equals_the_in_memory_one(tmp_path, width, monkeypatch):
    """file_source (merges and `tracer sample` read the suffix array in chunks, not mapped whole)
    gives the same sample as the in-memory array, chunk edges included; a short file is refused."""
    import tracer.index.sample as sample_mod

    monkeypatch.setattr(sample_mod, "CHUNK_ROWS", 7)  # many chunks, one of them partial
    tokens = _corpus(np.uint8, seed=9, n=500)
    sa = suffix_array(tokens)
    stored = np.zeros((len(sa), 8), dtype=np.uint8)
    stored[:] = sa.astype("<u8").view(np.uint8).reshape(-1, 8)
    (tmp_path / "sa.bin").write_bytes(stored[:, :width].tobytes())
    read = sample_mod.file_source(tmp_path / "sa.bin", width)
    a = b"".join(bytes(p) for p in encode_sample(tokens, sa, every=3, prefix=4))
    b = b"".join(bytes(p) for p in encode_sample(tokens, read, len(sa), every=3, prefix=4))
    assert a == b
    (tmp_path / "sa.bin").write_bytes(stored[:-2, :width].tobytes())
    with pytest.raises(CorruptIndexError, match="sa.bin: shorter"):
        encode_sample(tokens, read, len(sa), every=3, prefix=4)
