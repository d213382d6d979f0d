#!/usr/bin/env bash
# What recording costs: samples/ConsoleApp (Release, scale argument 4) run N times plainly and N times under
# 'pgo record' (default settings: DOTNET_ReadyToRun=0, tiered PGO data written at exit) and under
# 'pgo record --keep-readytorun'. Prints the program's own "total" (its timed phases) and the wall time of
# the whole command (for pgo record: program + trace symbolization + writing the profile), min and median.
# Usage: bench/record-overhead.sh [runs] [scale]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-5}"; scale="${2:-4}"
app=samples/ConsoleApp/bin/Release/net10.0/ConsoleApp.dll
tool=src/Pgo.Tool/bin/Release/net10.0/pgo.dll
dotnet build samples/ConsoleApp -c Release -p:Pgo=off -nodeReuse:false -v:q -nologo >/dev/null
dotnet build src/Pgo.Tool -c Release -nodeReuse:false -v:q -nologo >/dev/null
out="$(mktemp -d)"
stats() { sort -n | awk '{a[NR]=$1} END {printf "min %6d  median %6d", a[1], a[int((NR+1)/2)]}'; }
run_mode() {
  local name="$1"; shift
  : > "$out/total"; : > "$out/wall"
  for i in $(seq "$runs"); do
    local t0; t0=$(date +%s%N)
    "$@" 2>/dev/null | sed -n 's/^total: \([0-9]*\) ms.*/\1/p' >> "$out/total"
    echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "$out/wall"
  done
  printf '%-28s program total ms: %s   wall ms: %s\n' "$name" "$(stats < "$out/total")" "$(stats < "$out/wall")"
}
run_mode "plain" dotnet "$app" "$scale"
run_mode "pgo record" dotnet "$tool" record -o "$out/p.pgo" -- dotnet "$app" "$scale"
run_mode "pgo record --keep-readytorun" dotnet "$tool" record --keep-readytorun -o "$out/p.pgo" -- dotnet "$app" "$scale"
rm -rf "$out"
