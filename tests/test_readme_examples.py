"""Every `tracer ...` command in the README's bash blocks runs, in README order, on small files.

A README whose example fails is a bug users meet first. The test reads README.md, takes each
command line of its ```bash blocks that starts with ``tracer``, and runs it with bash in a folder
holding small stand-ins for every file the examples name (a corpus, a tokenizer, benchmarks,
log-probs...); a line without shell syntax runs through the tests' in-process CLI runner. A command must exit 0, or 1 where the README says 1 means "found" (contamination),
and never print a traceback. Commands that need what a test cannot have (a long-running server, a
model directory) are listed in SKIP with the test that covers them instead; a README command that
is neither run nor listed fails the test, so a new example cannot go untested.
"""

from __future__ import annotations

import gzip
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import zstandard
from cli_runner import run_in_process
from conftest import make_texts, write_jsonl

import tracer

README = Path(__file__).resolve().parents[1] / "README.md"

# command prefix -> why it is not run here (and what covers it)
SKIP = {
    "tracer demo": "indexes the whole stdlib; tests/test_contamination_cli.py runs the demo's parts",
    "tracer serve": "a long-running server; tests/test_grpc*.py and test_cli_hardening.py start it",
    "tracer score --index idx --model": "needs a local model directory; tests/test_membership_adapters.py",
    'tracer find --index idx --soft "Becker': "loads a sentence model; tests/test_soft_model.py runs --soft-model",
    "tracer contamination --index idx gsm8k/test.jsonl.gz --soft --soft-model": "loads a sentence model; "
                                                                                "tests/test_soft_model.py",
}
FOUND_IS_ONE = ("tracer contamination",)  # exit 1 = contamination found, as the README says


def readme_commands(text: str) -> list[str]:
    """`tracer ...` lines of the README's bash blocks, comments stripped, `\\` continuations joined."""
    commands, in_bash, pending = [], False, ""
    for line in text.splitlines():
        if line.startswith("```"):
            in_bash = line.strip() in ("```bash", "```sh", "```shell") and not in_bash
            continue
        if not in_bash:
            continue
        line = pending + line
        pending = ""
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        for part in re.split(r"\s&&\s", line):
            cmd = _strip_comment(part.strip())
            if cmd.startswith("tracer "):
                commands.append(cmd)
    return commands


def _strip_comment(cmd: str) -> str:
    """The command without a trailing `# comment` (a # inside quotes or a word stays)."""
    quote = None
    for i, ch in enumerate(cmd):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or cmd[i - 1].isspace()):
            return cmd[:i].rstrip()
    return cmd.rstrip()


DOCS = [
    {"id": "difflib.py", "text": "class SequenceMatcher:\n    def __init__(self, isjunk=None):\n        pass\n"},
    {"id": "zen.txt", "text": "Beautiful is better than ugly.\nExplicit is better than implicit.\n"},
    {"id": "gsm-copy", "text": "Natalia sold clips to 48 of her friends in April, and then she sold half as many "
                               "clips in May. How many clips did Natalia sell altogether in April and May?"},
]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, bpe_tokenizer) -> Path:
    """A folder with a stand-in for every file the README's examples name."""
    d = tmp_path_factory.mktemp("readme")
    docs = DOCS + [{"id": f"r{i}", "text": t} for i, t in enumerate(make_texts(40, seed=7)) if t]
    (d / "corpus").mkdir()
    for k in range(2):
        raw = "".join(json.dumps(r) + "\n" for r in docs[k::2]).encode()
        (d / "corpus" / f"part{k}.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
    (d / "data").mkdir()
    for r in docs[:10]:
        (d / "data" / (r["id"].replace("/", "_") + ".txt")).write_text(r["text"], encoding="utf-8")
    (d / "tokenizer.json").write_bytes(Path(bpe_tokenizer).read_bytes())
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": [r["text"] for r in docs], "id": [r["id"] for r in docs]}), d / "web.parquet")
    write_jsonl(d / "more.jsonl", [{"text": "An appended document about def __init__(self) methods."}])
    write_jsonl(d / "queries.jsonl", [{"text": "def __init__(self"}, {"text": "better than"}])
    (d / "answer.txt").write_text("The zen says: Beautiful is better than ugly. Explicit is better than implicit.\n")
    (d / "gsm8k").mkdir()
    with gzip.open(d / "gsm8k" / "test.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"question": DOCS[2]["text"], "answer": "Natalia sold 48/2 = 24 clips in May.\n#### 72"}) + "\n")
        f.write(json.dumps({"question": "A farmer has 17 sheep and buys 5 more goats.", "answer": "#### 22"}) + "\n")
    (d / "mmlu").mkdir()
    with gzip.open(d / "mmlu" / "mmlu_test-1.jsonl.gz", "wt", encoding="utf-8") as f:
        for i, (q, a) in enumerate([("Which zen line compares beauty and ugliness?", "Beautiful is better than ugly"),
                                    ("What is the capital of the moon base?", "Tranquility")]):
            f.write(json.dumps({"eval_key": "mmlu", "eval_instance_index": i, "split": "test", "question": q,
                                "answer": a}) + "\n")
    write_jsonl(d / "bench.jsonl", [{"question": DOCS[1]["text"].splitlines()[0], "answer": "zen"}])
    write_jsonl(d / "finetune.jsonl", [{"id": "f1", "text": DOCS[0]["text"]}, {"id": "f2", "text": "fresh text"}])
    tracer.build([str(d / "finetune.jsonl")], str(d / "other-idx"), id_field="id", progress=False)
    (d / "bench.csv").write_text("question,answer\n\"Is explicit better than implicit?\",yes\n", encoding="utf-8")
    text = DOCS[1]["text"].encode()
    write_jsonl(d / "logprobs.jsonl", [
        {"id": "t1", "token_ids": list(text[:40]), "logprobs": [None] + [-1.5] * 39},
        {"id": "t2", "token_ids": list(b"nothing like this is in the corpus at all"),
         "logprobs": [None] + [-3.0] * 40},
    ])
    return d


def _covered(cmd: str) -> str | None:
    return next((why for prefix, why in SKIP.items() if cmd.startswith(prefix)), None)


def test_readme_has_examples_to_run():
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert len(commands) >= 15 and any(c.startswith("tracer build") for c in commands)


def test_every_readme_command_runs(sandbox, tracer_cli):
    bindir = str(Path(tracer_cli.argv[0]).parent)
    failures = []
    ran = 0
    for cmd in readme_commands(README.read_text(encoding="utf-8")):
        if _covered(cmd):
            continue
        if cmd.startswith("tracer report"):  # its input is a saved contamination result
            subprocess.run("tracer contamination --index idx gsm8k/test.jsonl.gz --format json > results.json",
                           shell=True, cwd=sandbox, env=_env(bindir), timeout=300)
        proc = _run(cmd, sandbox, bindir)
        ran += 1
        ok_codes = (0, 1) if cmd.startswith(FOUND_IS_ONE) else (0,)
        if proc.returncode not in ok_codes or "Traceback" in proc.stderr:
            failures.append(f"$ {cmd}\nexit {proc.returncode}\n{proc.stderr.strip()[-800:]}")
    assert ran >= 15
    assert not failures, "README examples that fail:\n\n" + "\n\n".join(failures)


SHELL_SYNTAX = re.compile(r"[|<>;&$`*?(){}~\\]")


def _run(cmd: str, cwd: Path, bindir: str) -> subprocess.CompletedProcess:
    """A plain ``tracer ARGS`` line runs in this process (the tests' CLI runner, tests/cli_runner.py:
    no numba start-up per line); a line with pipes, redirections, globs or variables runs in bash."""
    if SHELL_SYNTAX.search(cmd):
        return subprocess.run(["bash", "-c", cmd], cwd=cwd, capture_output=True, text=True, timeout=300,
                              env=_env(bindir))
    return run_in_process(shlex.split(cmd)[1:], cwd=cwd)


def _env(bindir: str) -> dict:
    import os

    env = dict(os.environ)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def test_command_extraction_follows_bash_blocks():
    text = "x\n```bash\ntracer a --b 'c # d'  # note\npip install x && tracer demo\n```\n```\ntracer no\n```\n"
    assert readme_commands(text) == ["tracer a --b 'c # d'", "tracer demo"]
