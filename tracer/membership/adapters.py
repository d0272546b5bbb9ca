"""Model adapters: run a causal LM over texts and return the per-token inputs scoring needs.

Both adapters (a Hugging Face causal LM from a local directory, and any torch module that maps
token ids [B, T] to logits [B, T, V]) produce ``ScoreInput`` rows with token_ids, logprobs and
the mean and variance of ln p under the full next-token distribution, so one scoring path
serves log-probs from a file and log-probs computed here. Sequences are right-padded: with a
causal model the padding never influences the real positions, so batching is exact.
torch (and transformers, for the HF adapter) are imported lazily: extra ``tracer[model]``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tracer.errors import InputError, MismatchError, TracerError
from tracer.membership.inputs import ScoreInput


def _require(package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError:
        raise TracerError(
            f"model scoring needs the '{package}' package: pip install 'tracer[model]' (or pip install {package})"
        ) from None


def token_statistics(logits: Any, targets: Any) -> tuple[Any, Any, Any]:
    """For logits [T, V] and targets [T]: ln p(target), E[ln p] and Var[ln p] under p, each [T].

    Computed in float32 whatever the model's dtype (bf16 logits lose too much in log_softmax).
    """
    torch = _require("torch")
    logp = torch.log_softmax(logits.float(), dim=-1)
    lp = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    p = logp.exp()
    pos = p > 0
    mean = torch.where(pos, p * logp, torch.zeros_like(p)).sum(-1)
    dev = torch.where(pos, logp - mean.unsqueeze(-1), torch.zeros_like(p))
    var = (p * dev.square()).sum(-1)
    return lp, mean, var


class LogitsModelAdapter:
    """Any torch module (or callable) mapping input ids [B, T] to logits [B, T, V].

    ``tokenizer`` is a tracer tokenizer (``encode_with_offsets``, ``fingerprint``); its ids are
    the ones scored, so use the tokenizer the index was built with. With ``bos_id`` a BOS token
    is fed before each text and the first token is scored too; without it the first token has
    no context and is left unscored (null).
    """

    def __init__(
        self,
        model: Callable[..., Any],
        tokenizer: Any,
        *,
        device: str = "cpu",
        bf16: bool = False,
        batch_size: int = 8,
        max_length: int = 1024,
        bos_id: int | None = None,
        pad_id: int = 0,
        pass_attention_mask: bool = False,
    ):
        torch = _require("torch")
        if batch_size < 1 or max_length < 2:
            raise InputError("batch_size must be >= 1 and max_length >= 2")
        self.torch = torch
        self.device = torch.device(device)
        self.model = model
        if isinstance(model, torch.nn.Module):
            model.to(self.device)
            if bf16:
                model.to(dtype=torch.bfloat16)
            model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.max_length = max_length
        self.bos_id = bos_id
        self.pad_id = pad_id
        self.pass_attention_mask = pass_attention_mask

    @property
    def fingerprint(self) -> str:
        return self.tokenizer.fingerprint

    def _encode(self, text: str) -> tuple[np.ndarray, str]:
        """Token ids (at most the model's window) and the text they cover."""
        room = self.max_length - (1 if self.bos_id is not None else 0)
        enc = self.tokenizer.encode_with_offsets(text)
        if len(enc.ids) <= room:
            return np.asarray(enc.ids, dtype=np.int64), text
        return np.asarray(enc.ids[:room], dtype=np.int64), text[: int(enc.ends[room - 1])]

    def _logits(self, batch: Any, mask: Any) -> Any:
        out = self.model(batch, attention_mask=mask) if self.pass_attention_mask else self.model(batch)
        if hasattr(out, "logits"):
            out = out.logits
        elif isinstance(out, (tuple, list)):
            out = out[0]
        return out

    def score_inputs(self, texts: Sequence[str], ids: Sequence[str] | None = None,
                     labels: Sequence[int | None] | None = None,
                     progress: Callable[[int], None] | None = None, prefix: str | None = None) -> list[ScoreInput]:
        """ScoreInput rows for texts (longer texts are cut to ``max_length`` tokens);
        ``progress(k)`` after each batch of k texts. With ``prefix`` (a non-member text) each row
        also gets ``prefix_logprobs`` for ReCaLL (a second pass over the prefixed texts)."""
        encoded = [self._encode(t) for t in texts]
        seqs = [e[0] for e in encoded]
        rows = self.score_token_ids(seqs, progress)
        if prefix is not None:
            for row, lp in zip(rows, self.prefixed_logprobs(seqs, prefix), strict=True):
                row.prefix_logprobs = lp
        for i, row in enumerate(rows):
            row.text = encoded[i][1]
            row.id = str(ids[i]) if ids is not None else str(i)
            row.label = labels[i] if labels is not None else None
        return rows

    def prefixed_logprobs(self, seqs: Sequence[np.ndarray], prefix: str) -> list[np.ndarray]:
        """ln p(x_i | prefix, x_<i) for every token of each sequence (ReCaLL's conditioned pass).

        The prefix is tokenized on its own and cut from the left so that prefix + text fits the
        window (texts are already cut to it); with no room left the row is the unconditioned one.
        """
        pre = np.asarray(self.tokenizer.encode(prefix), dtype=np.int64)
        room = self.max_length - (1 if self.bos_id is not None else 0)
        cut = [pre[len(pre) - max(0, min(len(pre), room - len(x))):] for x in seqs]
        rows = self.score_token_ids([np.concatenate([p, x]) for p, x in zip(cut, seqs, strict=True)])
        return [r.logprobs[len(p):] for r, p in zip(rows, cut, strict=True)]

    def score_token_ids(self, seqs: Sequence[np.ndarray],
                        progress: Callable[[int], None] | None = None) -> list[ScoreInput]:
        torch = self.torch
        bos = self.bos_id is not None
        order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))  # similar lengths per batch
        out: list[ScoreInput | None] = [None] * len(seqs)
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                chunk = order[b : b + self.batch_size]
                inputs = [np.concatenate([[self.bos_id], seqs[i]]) if bos else seqs[i] for i in chunk]
                width = max(1, max(len(x) for x in inputs))
                batch = np.full((len(chunk), width), self.pad_id, dtype=np.int64)
                mask = np.zeros((len(chunk), width), dtype=np.int64)
                for r, x in enumerate(inputs):
                    batch[r, : len(x)] = x
                    mask[r, : len(x)] = 1
                tb = torch.from_numpy(batch).to(self.device)
                logits = self._logits(tb, torch.from_numpy(mask).to(self.device))
                if logits.ndim != 3 or logits.shape[:2] != tb.shape:
                    raise TracerError(f"the model returned logits of shape {tuple(logits.shape)}, "
                                      f"expected [batch, {width}, vocab]")
                for r, i in enumerate(chunk):
                    out[i] = self._row(seqs[i], logits[r], tb[r], len(inputs[r]), bos)
                if progress:
                    progress(len(chunk))
        return [r for r in out if r is not None]

    def _row(self, ids: np.ndarray, logits: Any, tokens: Any, length: int, bos: bool) -> ScoreInput:
        n = len(ids)
        lp = np.full(n, np.nan)
        mean = np.full(n, np.nan)
        var = np.full(n, np.nan)
        if length >= 2:
            # position t predicts token t+1 of the model input
            if int(tokens[1:length].max()) >= logits.shape[-1]:
                raise MismatchError(f"token id {int(tokens[1:length].max())} is outside the model's "
                                    f"vocabulary of {logits.shape[-1]}")
            a, b, c = (x.double().cpu().numpy() for x in token_statistics(logits[: length - 1], tokens[1:length]))
            first = 0 if bos else 1
            lp[first:], mean[first:], var[first:] = a, b, c
        return ScoreInput(id="", token_ids=np.asarray(ids, dtype=np.int64), logprobs=lp, logprob_mean=mean,
                          logprob_var=var, tokenizer_fingerprint=self.fingerprint)


def load_hf_causal_lm(
    path: str | Path,
    *,
    device: str = "cpu",
    bf16: bool = False,
    batch_size: int = 8,
    max_length: int | None = None,
    prepend_bos: bool = False,
) -> LogitsModelAdapter:
    """A Hugging Face causal LM from a local directory (never the hub: HF_HUB_OFFLINE=1).

    Texts are tokenized with the directory's tokenizer.json through the same tokenizer wrapper
    the index uses, without special tokens, so the scored ids are exactly the index's ids.
    """
    path = Path(path)
    tokenizer = hf_model_tokenizer(path)
    os.environ["HF_HUB_OFFLINE"] = "1"
    _require("torch")
    transformers = _require("transformers")
    try:
        # no dtype argument (its name changed across transformers versions): the adapter casts for bf16
        model = transformers.AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as e:
        raise InputError(f"--model {path}: cannot load a causal LM ({str(e).splitlines()[0]})") from None
    cfg = model.config
    window = max_length or int(getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", 1024))
    bos = getattr(cfg, "bos_token_id", None) if prepend_bos else None
    if prepend_bos and bos is None:
        raise InputError(f"--model {path}: the model config has no bos_token_id to prepend")
    pad = getattr(cfg, "pad_token_id", None)
    return LogitsModelAdapter(
        model, tokenizer, device=device, bf16=bf16, batch_size=batch_size, max_length=window, bos_id=bos,
        pad_id=int(pad) if pad is not None else 0, pass_attention_mask=True,
    )


def hf_model_tokenizer(path: str | Path) -> Any:
    """The tokenizer.json of a local model directory (cheap: check it before loading weights)."""
    from tracer.tokenize import HFTokenizer

    path = Path(path)
    if not path.is_dir():
        raise InputError(f"--model {path}: not a directory (give a local Hugging Face model directory)")
    tok_file = path / "tokenizer.json"
    if not tok_file.exists():
        raise InputError(f"--model {path}: no tokenizer.json (a fast tokenizer file is needed to match the index)")
    return HFTokenizer(tok_file)


def same_tokenizer(a: Any, b: Any) -> bool:
    """Equal fingerprints, or two tokenizer.json files that parse to the same tokenizer."""
    if a.fingerprint == b.fingerprint:
        return True
    raw_a = getattr(getattr(a, "inner", a), "raw", None)  # look through the Normalizing wrapper
    raw_b = getattr(getattr(b, "inner", b), "raw", None)
    if raw_a is None or raw_b is None:
        return False
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_str(raw_a.decode("utf-8")).to_str() == Tokenizer.from_str(raw_b.decode("utf-8")).to_str()
    except Exception:  # tokenizers raises plain Exception on a bad file  # noqa: BLE001
        return False
