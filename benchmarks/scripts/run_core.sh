#!/usr/bin/env bash
# The core benchmarks of issue 2 end to end (numbers: benchmarks/RESULTS.md, "Core").
# Needs: apt-get install linux-source-6.12; pip install infini-gram==2.6.0; root for drop_caches.
# Usage: benchmarks/scripts/run_core.sh [BENCH_DIR] [STEP...]   steps: corpus bpe build ig compare (default: all)
# BENCH_DIR defaults to $TRACER_BENCH_DIR, else ../bench beside the checkout; runs from any folder.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
B=$(realpath -m "${1:-${TRACER_BENCH_DIR:-$repo/../bench}}")
shift || true
STEPS=${*:-corpus bpe build ig compare}
M=$B/measure
mkdir -p "$M"
cd "$repo"  # the scripts run as modules of the checkout: python -m benchmarks.scripts.NAME
has() { [[ " $STEPS " == *" $1 "* ]]; }

if has corpus; then
  python -m benchmarks.scripts.make_corpus --out "$B/linux.jsonl"
  python -m benchmarks.scripts.make_corpus --out "$B/linux-extra.jsonl" --no-stdlib --linux-dirs fs,arch/x86,crypto --max-bytes 60000000
fi
if has bpe; then
  python -m benchmarks.scripts.train_bpe "$B/linux.jsonl" --out "$B/bpe32k.json"
fi
if has build; then  # tracer: bytes (150M, 210M tokens) and BPE, each measured with its process tree
  for spec in "bytes:$B/linux.jsonl" "bytes210:$B/linux.jsonl $B/linux-extra.jsonl" "bpe:$B/linux.jsonl"; do
    name=${spec%%:*}; inputs=${spec#*:}; out=$B/run-idx-$name; tok=()
    [[ $name == bpe ]] && tok=(--tokenizer "$B/bpe32k.json")
    rm -rf "$out"
    # shellcheck disable=SC2086
    python -m benchmarks.scripts.measure_build --json "$M/tracer-$name.json" --index-dir "$out" -- \
      tracer build $inputs --out "$out" --id-field id --quiet "${tok[@]}"
  done
fi
if has ig; then  # infini-gram 2.6.0 on the same text as u8 bytes
  for name in linux linux210; do
    data=$B/ig-data-$name; out=$B/run-ig-$name-u8
    mkdir -p "$data"; ln -sf "$B/linux.jsonl" "$data/linux.jsonl"
    [[ $name == linux210 ]] && ln -sf "$B/linux-extra.jsonl" "$data/linux-extra.jsonl"
    rm -rf "$out"
    python -m benchmarks.scripts.measure_build --json "$M/ig-$name.json" --index-dir "$out" -- \
      python -m infini_gram.indexing --data_dir "$data" --save_dir "$out" --token_dtype u8 --cpus 2 --mem 8 \
      --add_metadata --ulimit "$(ulimit -Hn)"
  done
fi
if has compare; then
  python -m benchmarks.scripts.compare_infinigram --tracer "$B/run-idx-bytes" --ig "$B/run-ig-linux-u8" --json "$M/compare-150m.json" >/dev/null
  python -m benchmarks.scripts.compare_infinigram --tracer "$B/run-idx-bytes210" --ig "$B/run-ig-linux210-u8" --json "$M/compare-210m.json" >/dev/null
  python -m benchmarks.scripts.cold_readahead_ab --index "$B/run-idx-bytes" > "$M/cold-readahead-ab.json"
fi
