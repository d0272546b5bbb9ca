"""Fan-out client over shard groups: two servers, each holding one half of a corpus (built separately),
answer together exactly as one server holding an index of the whole corpus.

Counts are also checked against a brute-force scan of the texts. The corpus plants passages in
documents of both halves, and a passage that is frequent in one half but rare (with another
continuation) in the other, so that trace merging has to recount and re-rank to agree.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace

import grpc
import numpy as np
import pytest
from conftest import brute_count_bytes as brute_count

import tracer
from tracer.client import FanOutClient, TracerClient, connect
from tracer.client.fanout import _largest_remainder
from tracer.server import ServerConfig, start_server
from tracer.server.registry import IndexRegistry

TOKEN = "fan-" + "y" * 28
N_DOCS = 140


def _vocabulary(rng: random.Random, n: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ru", "te", "sa", "no", "vi", "pe", "do", "zu", "ha", "ré", "ñu"]
    return sorted({"".join(rng.choice(syllables) for _ in range(rng.randrange(1, 4))) for _ in range(n)})


def _corpus(seed: int) -> tuple[list[str], list[str], str]:
    """(texts, trace texts, id of the frequent-in-one-half passage's document) for a seed."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 400)

    def words(n: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(n))

    docs = [[words(rng.randrange(20, 70))] for _ in range(N_DOCS)]
    passages = [words(14) for _ in range(24)]
    for p in passages:  # each in 1-5 documents, anywhere in the corpus (often in both halves)
        for d in rng.sample(range(N_DOCS), rng.randrange(1, 6)):
            docs[d].insert(rng.randrange(len(docs[d]) + 1), p + " " + words(rng.randrange(0, 4)))
    common, tail_a, tail_b = words(8), words(6), words(6)
    for d in rng.sample(range(N_DOCS // 2), 12):  # 12 times in the first half: too frequent with its tail ...
        docs[d].append(common + " " + tail_a)
    docs[N_DOCS // 2 + 3].append(common + " " + tail_b)  # ... once in the second half with another tail
    texts = [". ".join(parts) if i % 3 else " ".join(parts) for i, parts in enumerate(docs)]
    traces = []
    for _ in range(6):
        pieces = []
        for _ in range(rng.randrange(3, 7)):
            kind = rng.random()
            if kind < 0.4:
                p = rng.choice(passages).split()
                a = rng.randrange(0, 5)
                pieces.append(" ".join(p[a:rng.randrange(a + 6, len(p) + 1)]))
            elif kind < 0.7:
                t = rng.choice(texts).split()
                a = rng.randrange(0, max(1, len(t) - 12))
                pieces.append(" ".join(t[a:a + rng.randrange(5, 14)]))
            else:
                pieces.append(words(rng.randrange(2, 8)))
        pieces.insert(rng.randrange(len(pieces) + 1), common + " " + tail_a)
        traces.append(rng.choice([" ", ". ", "\n"]).join(pieces))
    return texts, traces, common + " " + tail_a




def _write(path, texts, base):
    path.write_text("".join(json.dumps({"id": f"doc-{base + i}", "text": t, "n": base + i}, ensure_ascii=False) + "\n"
                            for i, t in enumerate(texts)), encoding="utf-8")
    return str(path)


def _setup(d, texts, **build):
    half = N_DOCS // 2
    whole = _write(d / "all.jsonl", texts, 0)
    a, b = _write(d / "a.jsonl", texts[:half], 0), _write(d / "b.jsonl", texts[half:], half)
    for name, inputs in (("whole", [whole]), ("a", [a]), ("b", [b])):
        tracer.build(inputs, str(d / name), id_field="id", progress=False, **build)
    servers = [start_server(IndexRegistry.of({"idx": tracer.open(d / name)}),
                            ServerConfig(port=0, token=TOKEN.encode(), max_workers=4)) for name in ("whole", "a", "b")]
    single = TracerClient(f"127.0.0.1:{servers[0].port}", token=TOKEN, timeout=30)
    fan = connect([f"127.0.0.1:{s.port}" for s in servers[1:]], token=TOKEN, timeout=30)
    return servers, single, fan


@pytest.fixture(scope="module")
def bytes_setup(tmp_path_factory):
    texts, traces, frequent = _corpus(seed=11)
    servers, single, fan = _setup(tmp_path_factory.mktemp("fanout"), texts)
    yield texts, traces, frequent, single, fan
    single.close()
    fan.close()
    for s in servers:
        s.stop(0)


@pytest.fixture(scope="module")
def bpe_setup(tmp_path_factory, bpe_tokenizer):
    texts, traces, _ = _corpus(seed=23)
    servers, single, fan = _setup(tmp_path_factory.mktemp("fanout_bpe"), texts, tokenizer=str(bpe_tokenizer))
    yield texts, traces, single, fan
    single.close()
    fan.close()
    for s in servers:
        s.stop(0)


def _meta(m: dict) -> dict:
    """Metadata minus where the record was read from (the groups were built from other files)."""
    return {k: v for k, v in m.items() if k not in ("source", "line")}


def _no_shard(spans):
    return [replace(s, shard=0, meta=_meta(s.meta)) for s in spans]


def _same_input(result):
    for s in result.spans:
        for d in s.documents:
            d.meta = _meta(d.meta)
    return result


def test_several_addresses_give_a_fanout_client(bytes_setup):
    *_, single, fan = bytes_setup
    assert isinstance(fan, FanOutClient) and not isinstance(single, FanOutClient)
    one = connect([single.address], token=TOKEN)
    assert isinstance(one, TracerClient) and one.address == single.address
    one.close()
    groups = fan.groups
    assert [g.doc_base for g in groups] == [0, N_DOCS // 2]
    assert sum(g.n_tokens for g in groups) == single.server_info().n_tokens


def test_counts_add_up(bytes_setup):
    texts, _, frequent, single, fan = bytes_setup
    rng = random.Random(3)
    present = []
    for _ in range(150):
        t = rng.choice([t for t in texts if len(t) > 30])
        a = rng.randrange(len(t) - 10)
        present.append(t[a:a + rng.randrange(1, 25)])
    absent = ["".join(rng.choice("kalomiruté ") for _ in range(rng.randrange(6, 20))) for _ in range(50)]
    queries = present + absent + [frequent, "zzqx never", "ka", " "]
    expected = [brute_count(texts, q) for q in queries]
    assert fan.count_many(queries) == expected
    assert single.count_many(queries) == expected
    assert any(c == 0 for c in expected) and sum(c > 0 for c in expected) > 150
    assert fan.count(frequent) == 12 and fan.count(queries[0]) == expected[0]
    ids = [7, 8, 9]  # token ids (bytes tokenizer: byte values) travel the same way
    assert fan.count(ids) == single.count(ids)


def test_find_merges_in_corpus_order(bytes_setup):
    texts, _, frequent, single, fan = bytes_setup
    common = frequent.split()[0] + " " + frequent.split()[1]
    for q, limit in ((frequent, 100), (frequent, 5), (common, 3), ("ka", 7), ("ka", 10_000), ("zzqx", 4)):
        want, got = single.find(q, limit=limit, context=20), fan.find(q, limit=limit, context=20)
        assert got.count == want.count == brute_count(texts, q)
        assert _no_shard(got.occurrences) == _no_shard(want.occurrences), (q, limit)
    assert fan.find(frequent, limit=0).occurrences == []
    # groups capping what one Find returns: proportional samples, still in corpus order and within the limit
    capped = FanOutClient(fan.addresses, token=TOKEN, exact_find_max=1)
    got = capped.find("ka", limit=9)
    assert got.count == brute_count(texts, "ka") and len(got.occurrences) == 9
    keys = [(o.doc_index, o.token_start) for o in got.occurrences]
    assert keys == sorted(keys) and {o.doc_index >= N_DOCS // 2 for o in got.occurrences} == {False, True}
    capped.close()


def test_documents_from_either_group(bytes_setup):
    *_, single, fan = bytes_setup
    for key in ("doc-0", "doc-69", "doc-70", f"doc-{N_DOCS - 1}", 0, 69, 70, N_DOCS - 1):
        want, got = single.document(key), fan.document(key)
        assert _no_shard([got]) == _no_shard([want])
    for key in ("doc-nope", N_DOCS, -1):
        with pytest.raises(grpc.RpcError) as e:
            fan.document(key)
        assert e.value.code() == grpc.StatusCode.NOT_FOUND


TRACE_OPTIONS = [{}, {"k": 3}, {"rank": "length", "k": 2}, {"all_spans": True}, {"max_count": 2, "all_spans": True},
                 {"max_docs": 1, "context": 10}, {"max_docs": 2}, {"max_docs": 3, "all_spans": True}, {"min_len": 12, "max_count": 20, "k": 50}, {"delimiters": " "}]


def test_trace_equals_one_server(bytes_setup):
    _, traces, frequent, single, fan = bytes_setup
    common = " ".join(frequent.split()[:8])
    second = TracerClient(fan.addresses[1], token=TOKEN)
    n_spans = 0
    for text in traces:
        for opts in TRACE_OPTIONS:
            want, got = single.trace(text, **opts), fan.trace(text, **opts)
            assert _same_input(got) == _same_input(want), (text, opts)
            n_spans += len(want.spans)
        everything = single.trace(text, all_spans=True, max_count=1000)
        assert any(frequent in s.text for s in everything.spans)  # there, to be dropped by the default max_count
        assert not any(common in s.text for s in single.trace(text, all_spans=True).spans)
        # ... while the second group alone reports the passage's rare prefix: the merge must recount it
        alone = second.trace(text, all_spans=True)
        assert any(common in s.text and s.count == 1 for s in alone.spans)
    assert n_spans > 100
    second.close()


def test_trace_spans_from_both_groups(bytes_setup):
    _, traces, _, single, fan = bytes_setup
    docs = {d.doc_index for text in traces for s in fan.trace(text, all_spans=True).spans for d in s.documents}
    assert min(docs) < N_DOCS // 2 <= max(docs)
    assert sum(s.count for s in fan.trace(traces[0], all_spans=True).spans) > 0


def test_trace_bad_input_is_the_servers_error(bytes_setup):
    *_, fan = bytes_setup
    for kwargs in ({"text": ""}, {"text": "ka lo", "rank": "nope"}, {"text": "ka lo", "max_count": 0}):
        with pytest.raises(grpc.RpcError) as e:
            fan.trace(**kwargs)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_bpe_groups(bpe_setup):
    texts, traces, single, fan = bpe_setup
    rng = random.Random(5)
    queries = [t[a:a + rng.randrange(3, 30)] for t in rng.sample(texts, 60) for a in [rng.randrange(len(t) // 2)]]
    assert fan.count_many(queries) == single.count_many(queries)
    for text in traces[:4]:
        for opts in ({}, {"all_spans": True}, {"k": 2, "rank": "length"}):
            assert _same_input(fan.trace(text, **opts)) == _same_input(single.trace(text, **opts))
    assert fan.find(queries[0], limit=50).count == single.find(queries[0]).count


def test_group_quotas_split_the_limit():
    assert _largest_remainder([5, 5], 3) == [2, 1]
    assert _largest_remainder([1, 99], 10) == [0, 10]
    assert _largest_remainder([3, 0, 1], 10) == [3, 0, 1]
    assert sum(_largest_remainder([7, 11, 13], 9)) == 9
    assert np.all(np.asarray(_largest_remainder([2, 2, 2], 4)) <= 2)


def test_normalized_groups(tmp_path):
    """Normalized indexes: groups trace the normalized text; offsets map back to the caller's text alike."""
    texts, traces, _ = _corpus(seed=31)
    texts = [t.upper() if i % 4 == 0 else t.replace("ré", "RÉ") for i, t in enumerate(texts)]
    servers, single, fan = _setup(tmp_path, texts, normalize=True)
    try:
        queries = [t[5:25].upper() for t in texts[:50]]
        assert fan.count_many(queries) == single.count_many(queries)
        n_spans = 0
        for i, text in enumerate(traces[:4]):
            text = text.title() if i % 2 else text
            for opts in ({}, {"all_spans": True}):
                want = single.trace(text, **opts)
                assert _same_input(fan.trace(text, **opts)) == _same_input(want)
                n_spans += len(want.spans)
        assert n_spans > 5
    finally:
        single.close()
        fan.close()
        for s in servers:
            s.stop(0)
