#!/usr/bin/env bash
# Merge throughput: 'pgo merge' (as the linux-x64 tool package installs it: NativeAOT; PGO_MERGE_TOOL=jit measures
# the framework-dependent 'dotnet pgo.dll' of the 'any' package instead) next to 'go tool pprof -proto' on the sets of
# bench/merge-vs-go.sh and a fleet of profiles derived from ../shared/testdata (Pgo.Bench fleet: scaled values,
# sample subsets, other mappings and string-table orders, gzip and raw), merged in one call. Runs interleave
# (pgo, go, pgo, go, ...); per set: wall time min/median, peak RSS (max of the runs, /usr/bin/time -v), the
# median of per-round ratios go/pgo and the ratio of minimums. Go is skipped when it is not installed
# (apt-get install golang-go). Also prints the tool's start-up alone (dotnet pgo.dll --version).
# Usage: bench/merge-bench.sh [runs] [fleet-size]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-3}"
fleet="${2:-1000}"
td="$(cd ..; pwd)/shared/testdata"
out="$(mktemp -d -t pgo-merge.XXXXXX)"
trap 'rm -rf "$out"' EXIT
kind="${PGO_MERGE_TOOL:-aot}"
if [ "$kind" = jit ]; then
  dotnet build src/Pgo.Tool -c Release -nodeReuse:false -v:q -nologo >/dev/null
  tool=(dotnet src/Pgo.Tool/bin/Release/net10.0/pgo.dll)
else
  native="${PGO_BENCH_TOOL_DIR:-$out/tool}"
  [ -x "$native/pgo" ] || dotnet publish src/Pgo.Tool -c Release -r linux-x64 -nodeReuse:false -v:q -nologo -o "$native" >/dev/null
  tool=("$native/pgo")
fi
dotnet build bench/Pgo.Bench -c Release -nodeReuse:false -v:q -nologo >/dev/null
have_go=0; command -v go >/dev/null && have_go=1
[ "$have_go" = 1 ] || echo "go not found: only pgo merge is measured (apt-get install golang-go)"

dotnet bench/Pgo.Bench/bin/Release/net10.0/Pgo.Bench.dll fleet "$out/fleet" "$fleet" "$td"
fleet_files=("$out"/fleet/*)

# run <label> <cmd...>: appends "seconds rss-kib" to $out/<label>
run() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" >/dev/null 2>"$out/stderr" || { echo "$label failed:"; cat "$out/stderr"; exit 1; }
  cat "$out/time" >> "$out/$label"
}
summary() { # <label>: "min / median s, peak RSS MiB"
  sort -n "$out/$1" | awk '{t[NR]=$1; if ($2>m) m=$2} END {printf "%7.2f / %7.2f s  %6.0f MiB", t[1], t[int((NR+1)/2)], m/1024}'
}
ratios() { # median of per-round go/pgo and ratio of minimums
  local median mins
  median=$(paste -d' ' "$out/pgo" "$out/go" | awk '{printf "%.3f\n", $3/$1}' | sort -n | awk '{r[NR]=$1} END {print r[int((NR+1)/2)]}')
  mins=$(paste -d' ' "$out/pgo" "$out/go" | awk '{if (NR==1||$1<mp) mp=$1; if (NR==1||$3<mg) mg=$3} END {printf "%.2f", mg/mp}')
  printf "go/pgo: median of rounds %.2fx, of minimums %sx" "$median" "$mins"
}
compare() {
  local name="$1"; shift
  rm -f "$out/pgo" "$out/go"
  for i in $(seq "$runs"); do
    run pgo "${tool[@]}" merge "$@" -o "$out/m.pprof"
    [ "$have_go" = 1 ] && run go sh -c 'go tool pprof -proto "$@" > '"$out/g.pprof" _ "$@"
  done
  printf '%-46s pgo merge %s' "$name" "$(summary pgo)"
  [ "$have_go" = 1 ] && printf ' | go tool pprof -proto %s | %s' "$(summary go)" "$(ratios)"
  echo
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (shared: interleaved runs, ratios per round)"
rm -f "$out/start"; for i in $(seq 5); do run start "${tool[@]}" --version; done
echo "tool: ${tool[*]} ($kind)"
echo "start-up alone (pgo --version): $(summary start)"
gc="$td/go/src/cmd/compile/default.pgo"
compare "compiler default.pgo x2 (241 KB each)" "$gc" "$gc"
compare "compiler default.pgo x4" "$gc" "$gc" "$gc" "$gc"
large="$(find "$td" -name large.cpu | head -1)"
compare "pprof large.cpu x2 ($(du -k "$large" | cut -f1) KB each)" "$large" "$large"
compare "fleet: $fleet profiles ($(du -sm "$out/fleet" | cut -f1) MiB)" "${fleet_files[@]}"
if [ "$have_go" = 1 ]; then
  # Same totals from both tools (the fleet's last merge).
  echo "fleet totals, pgo merge:            $(go tool pprof -top -sample_index=samples "$out/m.pprof" 2>/dev/null | grep -m1 'Total samples' || true)"
  echo "fleet totals, go tool pprof -proto: $(go tool pprof -top -sample_index=samples "$out/g.pprof" 2>/dev/null | grep -m1 'Total samples' || true)"
fi
