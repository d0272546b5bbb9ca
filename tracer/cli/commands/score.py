"""tracer score: membership scores (loss, zlib, Min-K%, Min-K%++, DC-PDD, the ∞-gram reference scores
calibrated on --index, and ReCaLL with --prefix-file) from log-probs or a model."""

from __future__ import annotations

import argparse
import sys

from tracer.cli.options import add_options, options_from_args
from tracer.cli.output import add_format, add_index, dumps, print_json
from tracer.cli.progress import add_progress, progress_bar
from tracer.errors import InputError, MismatchError
from tracer.membership.options import ScoreOptions

COLUMNS = ("loss", "zlib", "min_k", "min_k_pp", "dc_pdd")
EXTRA_COLUMNS = ("infgram_ref", "infgram_ref_min_k", "infgram_ref_cap1", "recall")  # shown when computed
SCORE_CHUNK = 1024  # texts scored between progress updates


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score",
        help="membership scores from token log-probs or a local model",
        description="Pretraining-data detection scores (higher = more likely a member). Give either "
        "--logprobs FILE.jsonl (token_ids, logprobs, optional logprob_mean, logprob_var, text, id) or "
        "--model DIR TEXTS.jsonl. The index is also the reference corpus of infgram_ref (model log-prob over "
        "the index's smoothed ∞-gram log-prob, averaged; and its variants infgram_ref_min_k, infgram_ref_cap1): "
        "give an index of text from the training distribution that does not hold the texts under test. "
        "--prefix-file adds ReCaLL (--model only). n_tokens counts the scored (non-null) log-probs; a score whose inputs "
        "are missing is null and named in 'unavailable'. With --label-field the AUROC / TPR@FPR table goes "
        "to stdout (text), into the object (json) or to stderr (jsonl). Scores are not verdicts: "
        "thresholds do not transfer between models.",
    )
    add_index(p)
    p.add_argument("texts", nargs="?", metavar="TEXTS.jsonl", help="texts to run through --model")
    p.add_argument("--logprobs", metavar="FILE", help="JSONL of per-text token_ids and logprobs")
    p.add_argument("--model", metavar="DIR", help="local Hugging Face causal LM directory (needs tracer[model])")
    p.add_argument("--text-field", default="text", help="text field of TEXTS.jsonl (default: text)")
    p.add_argument("--label-field", metavar="F", help="field with 1 (member) / 0 (non-member): adds AUROC, TPR@FPR")
    add_options(p, ScoreOptions)
    p.add_argument("--tokenizer-fingerprint", metavar="FP", help="fingerprint of the tokenizer the ids came from")
    p.add_argument("--device", default="cpu", help="torch device for --model (cpu, cuda, cuda:1)")
    p.add_argument("--bf16", action="store_true", help="run --model in bfloat16")
    p.add_argument("--batch-size", type=int, default=8, help="texts per forward pass for --model")
    p.add_argument("--max-length", type=int, help="cut texts to this many tokens (default: the model's window)")
    p.add_argument("--prepend-bos", action="store_true", help="feed the model's BOS first so token 1 is scored")
    p.add_argument("--prefix-file", metavar="FILE",
                   help="with --model: a text file of non-member text; adds ReCaLL = LL(text | prefix) / LL(text)")
    add_format(p, ("text", "json", "jsonl"))
    add_progress(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer
    from tracer.membership import Reference, score_inputs, summarize
    from tracer.membership.inputs import read_logprobs_jsonl

    if (args.logprobs is None) == (args.model is None):
        raise InputError("give either --logprobs FILE.jsonl or --model DIR TEXTS.jsonl")
    if args.logprobs is not None and args.texts is not None:
        raise InputError("TEXTS.jsonl goes with --model; with --logprobs the texts are in the log-probs file")
    if args.prefix_file is not None and args.model is None:
        raise InputError("--prefix-file goes with --model (ReCaLL runs the model with the prefix); with --logprobs "
                         "give each row's 'prefix_logprobs' instead")
    options = options_from_args(args, ScoreOptions, reference_scores=True)
    index = tracer.open(args.index)
    if args.logprobs is not None:
        inputs = list(read_logprobs_jsonl(args.logprobs, args.label_field))
        bar = progress_bar(args, len(inputs), "text", "score")
    else:
        rows = _model_rows(args, index)
        bar = progress_bar(args, len(rows), "text", "score (model)")
    try:
        if args.logprobs is None:
            inputs = _model_inputs(args, index, rows, bar)
        ref = Reference.from_index(index)  # once, not per chunk
        results = []
        for lo in range(0, len(inputs), SCORE_CHUNK):
            chunk = inputs[lo:lo + SCORE_CHUNK]
            results += score_inputs(ref, chunk, tokenizer_fingerprint=args.tokenizer_fingerprint, options=options)
            if bar and args.logprobs is not None:
                bar.update(len(chunk))
    finally:
        if bar:
            bar.close()
    summary = None
    if args.label_field:
        labels = [r.label for r in results]
        summary = summarize({name: [r.get(name) for r in results] for name in _columns(results)}, labels)
    if args.format == "jsonl":
        out = sys.stdout
        for r in results:
            out.write(dumps(r.to_json()) + "\n")
        if summary is not None:
            sys.stderr.write(_summary_table(summary))
    elif args.format == "json":
        rows = [r.to_json() for r in results]  # not the dataclass: orjson would serialise every field
        print_json({"scores": rows, "summary": summary} if summary is not None else rows)
    else:
        sys.stdout.write(_scores_table(results))
        if summary is not None:
            sys.stdout.write("\n" + _summary_table(summary))
    return 0


def _model_rows(args: argparse.Namespace, index) -> list:
    from tracer.membership.inputs import read_texts_jsonl

    if args.texts is None:
        raise InputError("--model needs a TEXTS.jsonl file of texts to score")
    return list(read_texts_jsonl(args.texts, args.text_field, args.label_field))


def _model_inputs(args: argparse.Namespace, index, rows: list, bar):
    """Log-probs of ``rows`` from the model (the bar moves batch by batch)."""
    from tracer.membership.adapters import hf_model_tokenizer, load_hf_causal_lm, same_tokenizer

    model_tok = hf_model_tokenizer(args.model)
    if not same_tokenizer(model_tok, index.tokenizer):
        raise MismatchError(
            f"--model {args.model}: its tokenizer ({model_tok.fingerprint}) is not the index's "
            f"({index.tokenizer.fingerprint}); build the index with the model's tokenizer.json"
        )
    prefix = _read_prefix(args.prefix_file) if args.prefix_file is not None else None
    adapter = load_hf_causal_lm(args.model, device=args.device, bf16=args.bf16, batch_size=args.batch_size,
                                max_length=args.max_length, prepend_bos=args.prepend_bos)
    inputs = adapter.score_inputs([r.text for r in rows], [r.id for r in rows], [r.label for r in rows],
                                  progress=bar.update if bar else None, prefix=prefix)
    for inp in inputs:  # verified equivalent above, possibly with a differently serialised tokenizer.json
        inp.tokenizer_fingerprint = index.tokenizer.fingerprint
    return inputs


def _read_prefix(path: str) -> str:
    from pathlib import Path

    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"--prefix-file {path}: not UTF-8 text (byte {e.start})") from None
    if not text.strip():
        raise InputError(f"--prefix-file {path}: empty; give some non-member text")
    return text


def _columns(results) -> tuple[str, ...]:
    """The five scores, then each extra score that was computed for some text."""
    return COLUMNS + tuple(c for c in EXTRA_COLUMNS if any(r.computed(c) for r in results))


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.6g}"


def _scores_table(results) -> str:
    columns = _columns(results)
    head = ["id", "n_tokens", *columns]
    rows = [[r.id, str(r.n_tokens), *(_fmt(r.get(c)) for c in columns)] for r in results]
    return _table(head, rows)


def _summary_table(summary: list[dict]) -> str:
    head = ["score", "AUROC", "TPR@1%FPR", "TPR@5%FPR", "members", "non-members"]
    rows = [[s["score"], _fmt(s["auroc"]), _fmt(s["tpr_at_1pct_fpr"]), _fmt(s["tpr_at_5pct_fpr"]),
             str(s["n_members"]), str(s["n_nonmembers"])] for s in summary]
    return _table(head, rows)


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=False)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
    return "\n".join(lines) + "\n"
