#!/usr/bin/env bash
# The whole PGO loop on samples/ConsoleApp, and Go's iterative-stability check:
#   1. build without PGO, run N times
#   2. pgo record that build -> p1.pgo; build with p1, run N times
#   3. pgo record the PGO-built program -> p2.pgo; build with p2, run N times
# The speed with p2 must stay within noise of the speed with p1. Prints the sample's "total" (its timed
# phases, ms): min and median per build, and the ratios to the build without PGO.
# Usage: bench/pgo-loop.sh [runs] [scale]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-7}"; scale="${2:-4}"
app=samples/ConsoleApp
dll=$app/bin/Release/net10.0/ConsoleApp.dll
tool=src/Pgo.Tool/bin/Release/net10.0/pgo.dll
work="$(mktemp -d)"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
dotnet build src/Pgo.Tool -c Release -nodeReuse:false -v:q -nologo >/dev/null
build() { dotnet build "$app" -c Release -nodeReuse:false -v:q -nologo "$@" >/dev/null; }
measure() {
  : > "$work/t"
  for i in $(seq "$runs"); do dotnet "$dll" "$scale" | sed -n 's/^total: \([0-9]*\) ms.*/\1/p' >> "$work/t"; done
  sort -n "$work/t" | awk '{a[NR]=$1} END {print a[1], a[int((NR+1)/2)]}'
}
build -p:Pgo=off;            read -r off_min off_med < <(measure)
dotnet "$tool" record -o "$work/p1.pgo" -- dotnet "$dll" "$scale" >/dev/null 2>&1
build "-p:Pgo=$work/p1.pgo"; read -r p1_min p1_med < <(measure)
dotnet "$tool" record -o "$work/p2.pgo" -- dotnet "$dll" "$scale" >/dev/null 2>&1
build "-p:Pgo=$work/p2.pgo"; read -r p2_min p2_med < <(measure)
build # back to the committed default.pgo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
printf '%-34s %8s %8s %10s\n' build min_ms median_ms off/build
printf '%-34s %8s %8s %10s\n' "Pgo=off" "$off_min" "$off_med" 1.000
printf '%-34s %8s %8s %10s\n' "PGO, profile of the plain build" "$p1_min" "$p1_med" "$(ratio "$off_med" "$p1_med")"
printf '%-34s %8s %8s %10s\n' "PGO, profile of the PGO build" "$p2_min" "$p2_med" "$(ratio "$off_med" "$p2_med")"
echo "iterated/first (median): $(ratio "$p2_med" "$p1_med")"
rm -rf "$work"
