#!/usr/bin/env bash
# Time to a first answer (issue 23 item 6): a clean clone of this repository, the README's first
# command, and the demo answering. Run on an otherwise idle machine:
#
#     bench/first_answer.sh [PROFILE] [--fresh-cargo-home]
#
# PROFILE is the cargo profile (default `demo`, the README's; `release` for comparison). With
# --fresh-cargo-home the crates are downloaded too, as on a machine that never built Rust.
# KURA_REV=<commit> times that commit. Prints seconds from the clone to the build's end and to the first answer of
# `GET /api/v1/datasets` listing the demo datasets.
set -euo pipefail
profile=${1:-demo}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/kura-first-answer.XXXXXX)
if [ "${2:-}" = "--fresh-cargo-home" ]; then export CARGO_HOME="$work/cargo-home"; fi
export CARGO_TARGET_DIR="$work/target" CARGO_INCREMENTAL=0
unset RUSTFLAGS
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
flight=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
git clone -q "$repo" "$work/kura"
cd "$work/kura"
git checkout -q "${KURA_REV:-HEAD}"  # KURA_REV: time another commit of the clone
cargo build --profile "$profile" -p kura 2> "$work/build.log" || { tail -30 "$work/build.log"; exit 1; }
built=$(date +%s.%N)
KURA_DATA_DIR="$work/data" KURA_HTTP_ADDR="127.0.0.1:$port" KURA_FLIGHT_ADDR="127.0.0.1:$flight" \
  cargo run -q --profile "$profile" -p kura -- serve --demo > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/api/v1/datasets" | grep -q demo-thermal-log; do
  kill -0 $server 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.2
done
answered=$(date +%s.%N)
python3 - "$start" "$built" "$answered" "$profile" <<'PY'
import sys
start, built, answered, profile = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
print(f"profile {profile}: clone+build {built - start:.0f} s, first answer {answered - start:.0f} s "
      f"({(answered - start) / 60:.1f} min)")
PY
echo "build log: $work/build.log (delete $work when done)"
