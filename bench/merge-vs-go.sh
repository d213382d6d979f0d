#!/usr/bin/env bash
# Merge time of 'pgo merge' next to 'go tool pprof -proto' on the same real Go profiles from ../shared/testdata
# (needs Go: Debian's golang-go package works offline). Each merge runs N times; min and median wall ms.
# Usage: bench/merge-vs-go.sh [runs]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-5}"
td="$(cd ..; pwd)/shared/testdata"
tool=src/Pgo.Tool/bin/Release/net10.0/pgo.dll
command -v go >/dev/null || { echo "go not found: apt-get install golang-go" >&2; exit 1; }
dotnet build src/Pgo.Tool -c Release -nodeReuse:false -v:q -nologo >/dev/null
out="$(mktemp -d)"
stats() { sort -n | awk '{a[NR]=$1} END {printf "min %6d  median %6d", a[1], a[int((NR+1)/2)]}'; }
time_it() {
  : > "$out/t"
  for i in $(seq "$runs"); do
    local t0; t0=$(date +%s%N); "$@" > /dev/null 2>&1; echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "$out/t"
  done
  stats < "$out/t"
}
compare() {
  local name="$1"; shift
  printf '%-44s pgo merge: %s   go tool pprof -proto: %s\n' "$name" \
    "$(time_it dotnet "$tool" merge "$@" -o "$out/m.pprof")" \
    "$(time_it sh -c 'go tool pprof -proto "$@" > '"$out/g.pprof" _ "$@")"
}
gc="$td/go/src/cmd/compile/default.pgo"
compare "compiler default.pgo x2 (241 KB each)" "$gc" "$gc"
compare "compiler default.pgo x4" "$gc" "$gc" "$gc" "$gc"
large="$(find "$td" -name large.cpu | head -1)"
[ -n "$large" ] && compare "pprof large.cpu x2 ($(du -k "$large" | cut -f1) KB each)" "$large" "$large"
# Same totals from both tools:
dotnet "$tool" merge "$gc" "$gc" -o "$out/m.pprof" 2>/dev/null; go tool pprof -proto "$gc" "$gc" > "$out/g.pprof" 2>/dev/null
echo "pgo merge:            $(go tool pprof -top -sample_index=samples "$out/m.pprof" 2>/dev/null | grep -m1 'Total samples')"
echo "go tool pprof -proto: $(go tool pprof -top -sample_index=samples "$out/g.pprof" 2>/dev/null | grep -m1 'Total samples')"
rm -rf "$out"
