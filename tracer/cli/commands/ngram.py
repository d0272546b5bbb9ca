"""tracer ngram: the corpus as a language model (n-gram / ∞-gram probabilities, next-token distributions).

    tracer ngram prob --index DIR "the quick brown" " fox"     P(token | context) with both counts
    tracer ngram ntd --index DIR "the quick brown"             every continuation with its count
    tracer ngram infgram-prob / infgram-ntd ...                the same on the longest occurring suffix
    tracer ngram infgram-logprobs --index DIR "a whole text"   ln P∞(t_i | t_<i) per position
    ... --ids 12,7,99                                           token ids instead of text (for prob and
                                                                infgram-prob the last id is the token)
"""

from __future__ import annotations

import argparse
import math

from tracer.cli.options import add_options, options_from_args
from tracer.cli.output import add_format, add_index, print_json
from tracer.errors import InputError
from tracer.query.options import NgramOptions

KINDS = ("prob", "ntd", "infgram-prob", "infgram-ntd", "infgram-logprobs")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ngram", help="n-gram / ∞-gram probabilities and next-token distributions",
                       description="The index as a language model. Counts are `tracer count`'s (overlapping, within "
                                   "documents); the empty context occurs N times (the document tokens). infgram-* back "
                                   "off to the longest suffix of the context that occurs. For BPE a text context that "
                                   "does not start with whitespace is counted in both spellings (the README's rule); a "
                                   "text TOKEN must be one token of the index's tokenizer.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=type(p), required=True)
    for kind in KINDS:
        k = kinds.add_parser(kind, help=_HELP[kind])
        add_index(k)
        if kind == "infgram-logprobs":
            k.add_argument("text", nargs="?", help="the text (tokenized as a document is)")
            k.add_argument("--ids", metavar="IDS", help="comma-separated token ids instead of TEXT")
            k.add_argument("--max-suffix", type=int, metavar="N", help="cap the back-off suffix at N tokens")
        else:
            k.add_argument("context", nargs="?", help='context text ("" for the empty context)')
            if kind.endswith("prob"):
                k.add_argument("token", nargs="?", help="the next token, as text (one token of the tokenizer)")
                k.add_argument("--ids", metavar="IDS",
                               help="comma-separated token ids: the context followed by the token (e.g. 12,7,99)")
            else:
                k.add_argument("--ids", metavar="IDS", help="comma-separated token ids of the context ('' = empty)")
                add_options(k, NgramOptions)
                k.add_argument("--top", type=int, default=20, metavar="N",
                               help="continuations to print in text format (default 20; json has all)")
        add_format(k)
        k.set_defaults(func=run)


_HELP = {
    "prob": "P(token | context) = count(context token) / count(context)",
    "ntd": "next-token distribution after a context",
    "infgram-prob": "prob on the longest suffix of the context that occurs",
    "infgram-ntd": "ntd on the longest suffix of the context that occurs",
    "infgram-logprobs": "smoothed ln P∞(t_i | t_<i) for every token of a text",
}


def parse_ids(value: str) -> list[int]:
    """'1,2,3' -> [1, 2, 3] ('' -> [])."""
    parts = [v.strip() for v in value.split(",")] if value.strip() else []
    try:
        ids = [int(v) for v in parts]
    except ValueError:
        raise InputError(f"--ids {value!r}: give comma-separated token ids, e.g. 12,7,99") from None
    if any(i < 0 for i in ids):
        raise InputError(f"--ids {value!r}: token ids are non-negative")
    return ids


def run(args: argparse.Namespace) -> int:
    import tracer

    kind = args.kind
    if kind == "infgram-logprobs":
        return _logprobs(args)
    if args.ids is not None and (args.context is not None or getattr(args, "token", None) is not None):
        raise InputError("give either text arguments or --ids, not both")
    if args.ids is None and args.context is None:
        raise InputError("give a CONTEXT (\"\" for the empty one) or --ids")
    index = tracer.open(args.index)
    name = kind.replace("-", "_")
    if kind.endswith("prob"):
        if args.ids is not None:
            ids = parse_ids(args.ids)
            if not ids:
                raise InputError("--ids: give the context ids followed by the token id")
            context, token = ids[:-1], ids[-1]
        else:
            if args.token is None:
                raise InputError("give the TOKEN after the context (or --ids CONTEXT_IDS,TOKEN_ID)")
            context, token = args.context, args.token
        r = getattr(index, name)(context, token)
        if args.format == "json":
            print_json(r.to_json())
        elif r.prob is None:
            print(f"context not found (count 0); context {r.context_len} tokens")
        else:
            print(f"{r.prob:.6g}\tcount(context+token)={r.count_full}\tcount(context)={r.count_context}\t"
                  f"context_len={r.context_len}")
        return 0
    context = parse_ids(args.ids) if args.ids is not None else args.context
    d = getattr(index, name)(context, options_from_args(args, NgramOptions))
    if args.format == "json":
        print_json(d.to_json())
        return 0
    how = f"approximate: sample of {d.support}" if d.approximate else "exact"
    print(f"count(context)={d.count_context}\tcontext_len={d.context_len}\t{how}\tdoc_end={d.doc_end}\t"
          f"continuations={len(d.continuations)}")
    for c in d.continuations[: max(args.top, 0)]:
        print(f"{c.prob:.6g}\t{c.count}\t{c.token}\t{c.text!r}")
    return 0


def _logprobs(args: argparse.Namespace) -> int:
    import tracer

    if (args.text is None) == (args.ids is None):
        raise InputError("give either TEXT or --ids")
    index = tracer.open(args.index)
    tokens = parse_ids(args.ids) if args.ids is not None else args.text
    r = index.infgram_logprobs(tokens, args.max_suffix)
    if args.format == "json":
        print_json(r.to_json())
        return 0
    total = float(r.logprobs.sum()) if r.logprobs.size else 0.0
    print(f"tokens={len(r.token_ids)}\tsum_logprob={total:.6g}\t"
          f"mean_logprob={total / max(len(r.token_ids), 1):.6g}\tN={r.n_doc_tokens}")
    for i in range(len(r.token_ids)):
        text = index.tokenizer.decode(r.token_ids[i:i + 1].astype(index.dtype))
        print(f"{i}\t{r.token_ids[i]}\t{text!r}\t{r.logprobs[i]:.6g}\t{math.exp(r.logprobs[i]):.4g}\t"
              f"suffix_len={r.suffix_len[i]}\t{r.count_full[i]}/{r.count_context[i]}")
    return 0
