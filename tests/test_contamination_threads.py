"""Contamination checks from many threads at once (as the gRPC thread pool runs them) under numba's
'workqueue' threading layer, which is not thread-safe: every kernel call must go through
tracer.query's guard, or the process aborts ("nested parallel kernel launch") or answers wrongly."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap

import orjson

import tracer

SCRIPT = textwrap.dedent("""
    import sys, threading
    import numba
    import tracer
    from tracer.contamination import BenchItem, check_items

    index = tracer.open(sys.argv[1])
    texts = open(sys.argv[2], encoding="utf-8").read().split("\\n")
    items = [BenchItem(id=str(i), benchmark="b", split="test", input=t, label="", source="")
             for i, t in enumerate(texts)]
    want = [r.to_json() for r in check_items(index, items)]
    got, errors = {}, []

    def work(n):
        try:
            for k in range(3):
                got[(n, k)] = [r.to_json() for r in check_items(index, items)]
        except BaseException as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(got) == 18 and all(r == want for r in got.values()), "a concurrent result differs"
    assert any(r["contaminated"] for r in want) and not all(r["contaminated"] for r in want)
    print("layer", numba.threading_layer())
""")


def test_concurrent_checks_under_workqueue(tmp_path):
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(400)]
    docs = [" ".join(rng.choice(vocab) for _ in range(300)) for _ in range(40)]
    corpus = tmp_path / "c.jsonl"
    corpus.write_bytes(b"".join(orjson.dumps({"id": f"d{i}", "text": t}) + b"\n" for i, t in enumerate(docs)))
    tracer.build([str(corpus)], str(tmp_path / "idx"), id_field="id", progress=False)
    # half the items copied from documents (contaminated), half fresh word salad
    items = [" ".join(docs[i % 40].split()[20:60]) if i % 2 else " ".join(rng.choice(vocab) for _ in range(40))
             for i in range(60)]
    (tmp_path / "items.txt").write_text("\n".join(items), encoding="utf-8")
    (tmp_path / "run.py").write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue", "NUMBA_NUM_THREADS": "2"}
    proc = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(tmp_path / "idx"), str(tmp_path / "items.txt")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "layer workqueue" in proc.stdout
