#!/usr/bin/env bash
# Count each sync workload's instructions per operation under callgrind,
# SQLiter beside hand-written rusqlite, and print the ratios. Needs
# valgrind; build first:
#   cargo build --release -p sqliter-benches --example instructions
# Each side runs the operation TIMES and 2*TIMES times; the difference
# divided by TIMES is one operation, free of the seeding and warm-up.
set -euo pipefail
bin="${CARGO_TARGET_DIR:-$(dirname "$0")/../target}/release/examples/instructions"
times="${TIMES:-20}"
count() { # workload side times -> instructions inside `measured` (every
  # thread's, for an async workload)
  local toggle=(--toggle-collect='*instructions::measured*')
  case $1 in async_*) toggle=();; esac
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "${toggle[@]}" \
    "$bin" "$1" "$2" "$3" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "| workload | rusqlite | sqliter | ratio |"
echo "|---|---|---|---|"
for w in ${WORKLOADS:-$("$bin" --list)}; do
  n=$times
  # Async operations are cheap but the thread hand-off varies a little:
  # more of them average it out.
  case $w in async_insert_single|async_get_by_pk) n=$((times * 10));; esac
  case $w in *stream_100k|select_all|load_associations|select_filter|aggregate|async_aggregate) n=$((times / 10 > 0 ? times / 10 : 1));; esac
  per_op() { echo $(( ($(count "$w" "$1" $((2 * n))) - $(count "$w" "$1" "$n")) / n )); }
  raw=$(per_op rusqlite); orm=$(per_op sqliter)
  name="sync/$w"; case $w in async_*) name="async/${w#async_}";; esac
  awk -v w="$name" -v r="$raw" -v o="$orm" 'BEGIN { printf "| %s | %d | %d | %.2fx |\n", w, r, o, o / r }'
done
