#!/usr/bin/env bash
# Runs the existing benchmarks with two release builds of `kura`, back to back in one session,
# so a change can be shown to cost no more than the noise: BEFORE then AFTER for each benchmark,
# reports kept in bench/results/before-after/<bench>-{before,after}.md.
#
#   bench/before_after.sh BEFORE/kura AFTER/kura [bench ...]     # benches: ingest search sparql flight
#
# Sizes are smaller than each benchmark's own default so that both builds fit in one session;
# they are printed with the results. `search-load` (kura-bench) builds the search index for both:
# the index format is the same on both sides.
set -euo pipefail
cd "$(dirname "$0")"
before=$1 after=$2
shift 2
benches=("${@:-ingest search sparql flight}")
python=${PYTHON:-$HOME/.cache/kura-venv/bin/python}
out=results/before-after
mkdir -p "$out"
declare -A args=(
  [ingest]="ingest_bench.py --runs 3"
  [search]="search_bench.py --docs 20000 --rounds 5"
  [sparql]="sparql_bench.py --datasets 300 --rounds 5"
  [flight]="flight_bench.py --rows 10000000 --rounds 3"
)
for bench in ${benches[@]}; do
  for side in before after; do
    bin=$before; [ "$side" = after ] && bin=$after
    echo "== $bench ($side: $bin): python ${args[$bench]}" >&2
    KURA_BIN=$bin "$python" ${args[$bench]} > "$out/$bench-$side.md"
  done
done
