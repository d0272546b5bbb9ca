"""Benchmark files -> ``BenchItem``s (id, benchmark, split, input text, label text).

Records come from ``tracer.corpus.iter_records``: JSON Lines, CSV (header row, or the headerless
MMLU layout ``question,A,B,C,D,answer``), both optionally .gz/.zst, Parquet, Arrow, HF
``save_to_disk`` folders, and folders of such files (each file read as if named on its own);
also lm-eval ``--log_samples`` JSONL (one line per (task, doc_id); its ``doc`` is read with the
presets below, else the prompt is the input and ``target`` the label). Every field read as
text must be a string (or a list of strings): null, a number or a boolean is a located error.

Without ``--input-field`` the fields are chosen by a preset detected from the first record:

- GSM8K: ``question`` -> input, ``answer`` -> label;
- MMLU, one option per line (``eval_instance_index``, ``question``, ``answer``, ``is_correct``):
  consecutive lines of one question are grouped; input = question and its options, one per
  line; label = the correct option;
- MMLU, HF layout (``question``, ``choices``, integer ``answer``): same parts;
- HumanEval: ``prompt`` -> input, ``canonical_solution`` -> label, id ``task_id``;
- anything with a ``text`` field: input = text.

Benchmark name: ``NAME=PATH`` on the command line, else the record's ``eval_key``/``task``,
else the preset, else the file name. Split: the record's ``split``, else a split word in the
file name (test, train, dev, validation, ...), else "test".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracer.corpus.document import type_name
from tracer.corpus.records import expand_input, iter_records
from tracer.corpus.streams import base_name
from tracer.errors import InputError

SPLIT_WORDS = ("test", "train", "dev", "validation", "valid", "val", "eval")
_LETTERS = "ABCDEFGHIJ"


@dataclass
class BenchItem:
    """One benchmark item: the parts that are matched against the corpus, and where it came from."""

    id: str
    benchmark: str
    split: str
    input: str
    label: str = ""
    source: str = ""  # file:line (or :row) of the item's first record

    def to_json(self) -> dict:
        return {"id": self.id, "benchmark": self.benchmark, "split": self.split, "input": self.input,
                "label": self.label, "source": self.source}


@dataclass(frozen=True)
class FieldSpec:
    """User choices: input fields (joined by a newline), label field, id field. Empty -> preset."""

    input_fields: tuple[str, ...] = ()
    label_field: str | None = None
    id_field: str | None = None
    benchmark: str | None = None


@dataclass
class _Record:
    where: str
    data: dict[str, Any]
    index: int  # 0-based record number in the file
    split: str | None = None  # from the folder of a DatasetDict split


# -- records --------------------------------------------------------------------------


def _mmlu_header(first_row: list[str]) -> list[str] | None:
    """The headerless MMLU CSV layout ``question,A,B,C,D,answer``, recognised by its first row."""
    if len(first_row) == 6 and first_row[5].strip() in tuple(_LETTERS[:4]):
        return ["question", "A", "B", "C", "D", "answer"]
    return None


def read_records(path: Path) -> Iterator[_Record]:
    """Records of one benchmark file or save_to_disk folder, each with its file:line for error messages.

    In a DatasetDict folder the sub-folder a file sits in names its split.
    """
    folder = path if path.is_dir() else None
    for n, rec in enumerate(iter_records(path, headerless=_mmlu_header)):
        parent = Path(rec.path).parent
        split = _split_from_name(parent.name) if folder is not None and parent != folder else None
        yield _Record(rec.where, rec.object(), n, split)


# -- presets ------------------------------------------------------------------------


def _text(value: Any, where: str, name: str) -> str:
    """A field's text: a string, or a non-empty list of strings (one per line, as MMLU's choices).

    Anything else (null, a number, a boolean, an object) is an error: read as text it would
    make an empty or made-up question whose label alone can mark the item contaminated.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    raise InputError(f"{where}: field '{name}' is not text (got {type_name(value)})")


def _target(value: Any, where: str) -> str:
    """lm-eval's ``target``: text, or a number (the index or value its task scores against)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _text(value, where, "target")


def _field(rec: _Record, name: str) -> str:
    if name not in rec.data:
        fields = ", ".join(sorted(rec.data)[:12])
        raise InputError(f"{rec.where}: field '{name}' is missing (fields: {fields})")
    return _text(rec.data[name], rec.where, name)


def detect_preset(data: dict[str, Any]) -> str:
    """The preset a record's fields call for: lm-eval, mmlu-lines, mmlu-hf, mmlu-csv, gsm8k, humaneval, text."""
    keys = set(data)
    if "doc_id" in keys and "doc" in keys and keys & {"arguments", "target", "resps", "filtered_resps"}:
        return "lm-eval"
    if {"eval_instance_index", "question", "answer", "is_correct"} <= keys:
        return "mmlu-lines"
    if {"question", "choices", "answer"} <= keys:
        return "mmlu-hf"
    if {"question", "A", "B", "C", "D", "answer"} <= keys:
        return "mmlu-csv"
    if {"prompt", "canonical_solution"} <= keys:
        return "humaneval"
    if {"question", "answer"} <= keys:
        return "gsm8k"
    if "text" in keys:
        return "text"
    return ""


_PRESET_BENCH = {"mmlu-lines": "mmlu", "mmlu-hf": "mmlu", "mmlu-csv": "mmlu", "gsm8k": "gsm8k",
                 "humaneval": "humaneval"}


def _split_from_name(name: str) -> str:
    for word in re.split(r"[^a-z]+", name.lower()):
        if word in SPLIT_WORDS:
            return {"valid": "validation", "val": "validation"}.get(word, word)
    return "test"


def _bench_from_name(path: Path) -> str:
    stem = base_name(path.name).rsplit(".", 1)[0] if path.is_file() else path.name
    parts = [p for p in re.split(r"[-_. ]+", stem) if p and p.lower() not in SPLIT_WORDS and not p.isdigit()]
    name = "_".join(parts)
    if not name or name.lower() in ("data", "dataset"):
        name = path.parent.name if path.is_file() else stem
    return name or stem


def _simple_parts(preset: str, rec: _Record) -> tuple[str, str]:
    d = rec.data
    if preset == "gsm8k":
        return _field(rec, "question"), _field(rec, "answer")
    if preset == "humaneval":
        return _field(rec, "prompt"), _field(rec, "canonical_solution")
    if preset == "mmlu-hf":
        choices = d["choices"]
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise InputError(f"{rec.where}: field 'choices' is not a list of strings")
        ans = d["answer"]
        if isinstance(ans, str) and len(ans) == 1 and ans in _LETTERS:
            ans = _LETTERS.index(ans)
        if not isinstance(ans, int) or not 0 <= ans < len(choices):
            raise InputError(f"{rec.where}: field 'answer' is not an index into 'choices'")
        return "\n".join([_field(rec, "question"), *choices]), choices[ans]
    if preset == "mmlu-csv":
        opts = [_field(rec, k) for k in "ABCD"]
        ans = _field(rec, "answer").strip()
        if ans not in "ABCD" or not ans:
            raise InputError(f"{rec.where}: field 'answer' must be one of A, B, C, D")
        return "\n".join([_field(rec, "question"), *opts]), opts["ABCD".index(ans)]
    if preset == "text":
        return _field(rec, "text"), ""
    raise AssertionError(preset)


def _lm_eval_parts(rec: _Record) -> tuple[str, str]:
    doc = rec.data.get("doc")
    if isinstance(doc, dict):
        sub = detect_preset(doc)
        if sub in ("gsm8k", "humaneval", "mmlu-hf", "mmlu-csv", "text"):
            return _simple_parts(sub, _Record(rec.where, doc, rec.index))
    args = rec.data.get("arguments")
    prompt = ""
    if isinstance(args, list) and args and isinstance(args[0], list) and args[0]:
        prompt = _text(args[0][0], rec.where, "arguments")
    elif isinstance(args, dict) and args:
        first = next(iter(args.values()))
        if isinstance(first, dict) and first:
            prompt = _text(next(iter(first.values())), rec.where, "arguments")
    if not prompt:
        raise InputError(f"{rec.where}: lm-eval sample has neither a known 'doc' layout nor a prompt in 'arguments'")
    return prompt, _target(rec.data.get("target"), rec.where)


_LM_EVAL_TASK = re.compile(r"^samples_(.+?)_\d{4}-\d{2}-\d{2}T")


def _lm_eval_task(rec: _Record, path: Path) -> str:
    task = rec.data.get("task")
    if isinstance(task, str) and task:
        return task
    m = _LM_EVAL_TASK.match(path.name)
    return m.group(1) if m else _bench_from_name(path)


def _named_inputs(path: str | Path, spec: FieldSpec) -> list[tuple[Path, str | None]]:
    """The files (or save_to_disk folders) a command-line path names, with the name ``NAME=PATH`` gives.

    A folder of benchmark files is read file by file in sorted order, so each file keeps its
    own name for the benchmark, split and subject, as if it had been named on its own.
    """
    name = spec.benchmark
    text = str(path)
    if name is None and "=" in text and not Path(text).exists():
        name, text = text.split("=", 1)
    return [(p, name) for p in expand_input(text)]


def _open_benchmark(p: Path, name: str | None, spec: FieldSpec) -> tuple[Path, str | None, str, Iterator[_Record]]:
    """(path, benchmark name from NAME=PATH, preset or "custom", records)."""
    records = read_records(p)
    first = next(records, None)
    if first is None:
        raise InputError(f"{p}: no records")
    if spec.input_fields:
        return p, name, "custom", _chain_records(first, records)
    preset = detect_preset(first.data)
    if not preset:
        fields = ", ".join(sorted(first.data)[:12])
        raise InputError(f"{first.where}: no preset fits fields ({fields}); give --input-field (and --label-field)")
    return p, name, preset, _chain_records(first, records)


def _items(p: Path, name: str | None, preset: str, records: Iterator[_Record], spec: FieldSpec) -> Iterator[BenchItem]:
    if preset == "custom":
        return _custom_items(p, records, spec, name)
    if preset == "mmlu-lines":
        return _mmlu_line_items(p, records, spec, name)
    return _preset_items(p, records, spec, name, preset)


def read_benchmark(path: str | Path, spec: FieldSpec = FieldSpec()) -> Iterator[BenchItem]:
    """Items of one benchmark file or folder (``NAME=PATH`` sets the benchmark name)."""
    yield from read_benchmarks([str(path)], spec)


def _chain_records(first: _Record, rest: Iterator[_Record]) -> Iterator[_Record]:
    yield first
    yield from rest


def _item_id(rec: _Record, spec: FieldSpec, default_keys: tuple[str, ...]) -> str:
    if spec.id_field:
        if spec.id_field not in rec.data:
            raise InputError(f"{rec.where}: field '{spec.id_field}' is missing (--id-field)")
        return str(rec.data[spec.id_field])
    for k in default_keys:
        v = rec.data.get(k)
        if isinstance(v, (str, int)) and not isinstance(v, bool):
            return str(v)
    return str(rec.index)


def _split_of(rec: _Record, path: Path) -> str:
    v = rec.data.get("split")
    if isinstance(v, str) and v:
        return v
    return rec.split or _split_from_name(path.name)


def _custom_items(path: Path, records: Iterator[_Record], spec: FieldSpec, name: str | None) -> Iterator[BenchItem]:
    bench = name or _bench_from_name(path)
    for rec in records:
        inp = "\n".join(_field(rec, f) for f in spec.input_fields)
        label = _field(rec, spec.label_field) if spec.label_field else ""
        yield BenchItem(_item_id(rec, spec, ("id",)), bench, _split_of(rec, path), inp, label, rec.where)


def _preset_items(
    path: Path, records: Iterator[_Record], spec: FieldSpec, name: str | None, preset: str
) -> Iterator[BenchItem]:
    for rec in records:
        if preset == "lm-eval":
            inp, label = _lm_eval_parts(rec)
            if spec.label_field:
                label = _field(rec, spec.label_field)
            task = name or _lm_eval_task(rec, path)
            item_id = _item_id(rec, spec, ("doc_id",))
            yield BenchItem(item_id, task, _split_of(rec, path), inp, label, rec.where)
            continue
        inp, label = _simple_parts(preset, rec)
        if spec.label_field:
            label = _field(rec, spec.label_field)
        bench = name or rec.data.get("eval_key") or _PRESET_BENCH.get(preset) or _bench_from_name(path)
        item_id = _item_id(rec, spec, ("task_id", "id", "doc_id"))
        yield BenchItem(item_id, str(bench), _split_of(rec, path), inp, label, rec.where)


def _mmlu_line_items(path: Path, records: Iterator[_Record], spec: FieldSpec, name: str | None) -> Iterator[BenchItem]:
    """Group consecutive option lines of one question (same split and eval_instance_index)."""
    group: list[_Record] = []

    def flush() -> BenchItem:
        head = group[0]
        question = _field(head, "question")
        options = [_field(r, "answer") for r in group]
        correct = [o for r, o in zip(group, options, strict=True) if r.data.get("is_correct") is True]
        if len(correct) != 1:
            raise InputError(f"{head.where}: question {head.data['eval_instance_index']} has "
                             f"{len(correct)} options with is_correct=true, expected 1 (if its options continue in "
                             f"the next file, pass all the files in one command)")
        bench = name or str(head.data.get("eval_key") or "mmlu")
        split = _split_of(head, path)
        item_id = str(head.data[spec.id_field]) if spec.id_field else f"{split}/{head.data['eval_instance_index']}"
        return BenchItem(item_id, bench, split, "\n".join([question, *options]), correct[0], head.where)

    for rec in records:
        for k in ("eval_instance_index", "question", "answer"):
            if k not in rec.data:
                raise InputError(f"{rec.where}: field '{k}' is missing (MMLU one-option-per-line layout)")
        if group and (rec.data["eval_instance_index"], rec.data.get("split")) != (
            group[0].data["eval_instance_index"], group[0].data.get("split")
        ):
            yield flush()
            group = []
        group.append(rec)
    if group:
        yield flush()


def read_benchmarks(paths: list[str], spec: FieldSpec = FieldSpec()) -> list[BenchItem]:
    """Items of every path; ids are made unique per benchmark by suffixing duplicates with #k.

    Consecutive MMLU one-option-per-line files are read as one stream, since a question's
    option lines may continue from one file into the next (mmlu_test-1, -2, ...).
    """
    opened = [_open_benchmark(p, name, spec) for path in paths for p, name in _named_inputs(path, spec)]
    streams: list[tuple[Path, str | None, str, Iterator[_Record]]] = []
    for p, name, preset, records in opened:
        if streams and preset == "mmlu-lines" and streams[-1][2] == preset and streams[-1][1] == name:
            q, n, pr, prev = streams[-1]
            streams[-1] = (q, n, pr, _concat(prev, records))
        else:
            streams.append((p, name, preset, records))
    items: list[BenchItem] = []
    seen: dict[tuple[str, str], int] = {}
    for stream in streams:
        for it in _items(*stream, spec):
            key = (it.benchmark, it.id)
            k = seen.get(key, 0)
            seen[key] = k + 1
            if k:
                it.id = f"{it.id}#{k}"
            items.append(it)
    return items


def _concat(a: Iterator[_Record], b: Iterator[_Record]) -> Iterator[_Record]:
    yield from a
    yield from b
