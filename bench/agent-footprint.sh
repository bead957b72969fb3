#!/usr/bin/env bash
# Measures `scry agent`'s footprint per inventory cycle on this host's real root (/):
# peak resident memory and CPU (user + system) of a whole `scry agent --once` process —
# start, enrollment or state load, collection of the host (OS packages, sockets, addresses),
# spooling and the signed push to a local `scry server` — with /usr/bin/time -v.
# Usage: bash bench/agent-footprint.sh [path/to/scry]   (default: target/release/scry)
set -euo pipefail
SCRY=${1:-target/release/scry}
[ -x "$SCRY" ] || { echo "build it first: cargo build --release -p scry-cli" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
dir=$(mktemp -d); trap 'kill $srv 2>/dev/null || true; rm -rf "$dir"' EXIT
"$SCRY" server --data-dir "$dir/data" --db "$dir/none.db" --listen 127.0.0.1:0 2>"$dir/server.log" &
srv=$!
for _ in $(seq 50); do grep -q "listening on" "$dir/server.log" && break; sleep 0.2; done
url=$(sed -n 's/^scry server listening on //p' "$dir/server.log")
token=$("$SCRY" agent-token create --data-dir "$dir/data" --account 111122223333 --uses 1 2>/dev/null)
run() {
  /usr/bin/time -v "$SCRY" agent --once --server "$url" --state-dir "$dir/state" "$@" 2>&1 >/dev/null |
    awk -F': ' '/User time/{u=$2} /System time/{s=$2} /Maximum resident/{m=$2} END{printf "cpu %.0f ms (user %s s + system %s s), peak RSS %.1f MiB\n", (u+s)*1000, u, s, m/1024}'
}
echo "first run (enrolls):   $(run --token "$token")"
for i in 1 2 3; do echo "cycle $i (enrolled):    $(run)"; done
