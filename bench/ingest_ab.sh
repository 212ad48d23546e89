#!/usr/bin/env bash
# `kura ingest` of the whole testdata corpus with two builds, alternating run by run (A B A B…),
# each into a fresh data directory: wall seconds per run, then the median of each side.
#
#   bench/ingest_ab.sh BEFORE/kura AFTER/kura [runs]
#
# The corpus links are bench/data/corpus/ (made by ingest_bench.py).
set -euo pipefail
cd "$(dirname "$0")/data/corpus"
before=$1 after=$2 runs=${3:-6}
declare -A times
for _ in $(seq "$runs"); do
  for side in before after; do
    bin=$before; [ "$side" = after ] && bin=$after
    dir=$(mktemp -d)
    start=$(date +%s.%N)
    KURA_DATA_DIR=$dir KURA_LOG=warn "$bin" ingest ./* --dataset corpus --quiet >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    rm -rf "$dir"
    times[$side]+="$(echo "$end - $start" | bc) "
  done
done
for side in before after; do
  median=$(printf '%s\n' ${times[$side]} | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  echo "$side: median $median s of: ${times[$side]}"
done
