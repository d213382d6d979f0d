#!/usr/bin/env bash
# The whole PGO loop on samples/ConsoleApp, and Go's iterative-stability check:
#   1. build without PGO, measure it
#   2. pgo record the plain (JIT) build -> p1.pgo; build with p1, measure it
#   3. pgo record the JIT build made with p1 (the PGO-built program) -> p2.pgo; build with p2, measure it
# The speed with p2 must stay within noise of the speed with p1. Mode "jit" measures the JIT builds, mode "aot"
# NativeAOT publishes made with the same profiles (recording always runs the JIT build: EventPipe's sampler does
# not run in NativeAOT, and profiles are portable). Prints the sample's phases (ms): min / median per build.
# Usage: bench/pgo-loop.sh [runs] [scale] [jit|aot]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-7}"; scale="${2:-4}"; mode="${3:-jit}"
app=samples/ConsoleApp
dll=$app/bin/Release/net10.0/ConsoleApp.dll
tool=src/Pgo.Tool/bin/Release/net10.0/pgo.dll
work="$(mktemp -d)"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
dotnet build src/Pgo.Tool -c Release -nodeReuse:false -v:q -nologo >/dev/null
build() { dotnet build "$app" -c Release -nodeReuse:false -v:q -nologo "$@" >/dev/null; }
# make <name> <Pgo value>: the binary to measure, as "$work/<name>" (a command line)
make() {
  build "-p:Pgo=$2"
  if [ "$mode" = aot ]; then
    dotnet publish "$app" -c Release -r linux-x64 -p:PublishAot=true "-p:Pgo=$2" -nodeReuse:false -v:q -nologo -o "$work/$1" >/dev/null
    echo "$work/$1/ConsoleApp" > "$work/$1.cmd"
  else
    mkdir -p "$work/$1"; cp -r "$app/bin/Release/net10.0/." "$work/$1/"
    echo "dotnet $work/$1/ConsoleApp.dll" > "$work/$1.cmd"
  fi
}
measure() {
  : > "$work/t"
  for i in $(seq "$runs"); do $(cat "$work/$1.cmd") "$scale" | awk '/^interpreter:/ {a=$2} /^total:/ {c=$2} END {print a, c}' >> "$work/t"; done
  for f in 1 2; do cut -d' ' -f$f "$work/t" | sort -n | awk '{a[NR]=$1} END {printf "%d %d ", a[1], a[int((NR+1)/2)]}'; done
}
make off off
dotnet "$tool" record -o "$work/p1.pgo" -- dotnet "$dll" "$scale" >/dev/null 2>&1
make first "$work/p1.pgo"
dotnet "$tool" record -o "$work/p2.pgo" -- dotnet "$dll" "$scale" >/dev/null 2>&1   # the JIT build made with p1
make second "$work/p2.pgo"
build # back to the committed default.pgo
printf '%-40s %22s %18s\n' "build ($mode)" "interpreter min / med" "total min / med"
for b in off first second; do
  read -r imin imed tmin tmed < <(measure "$b"; echo)
  case $b in off) label="Pgo=off" ;; first) label="PGO, profile of the plain build" ;; second) label="PGO, profile of the PGO-built program" ;; esac
  printf '%-40s %22s %18s\n' "$label" "$imin / $imed" "$tmin / $tmed"
  eval "${b}_i=$imed; ${b}_t=$tmed; ${b}_imin=$imin; ${b}_tmin=$tmin"
done
# (This VM alternates between a fast and a slow state; the minimums compare like with like.)
awk -v a="$first_i" -v b="$second_i" -v c="$first_t" -v d="$second_t" -v e="$first_imin" -v f="$second_imin" -v g="$first_tmin" -v h="$second_tmin" \
  'BEGIN {printf "iterated / first: medians interpreter %.3f, total %.3f; minimums interpreter %.3f, total %.3f (1.000 = same speed)\n", b / a, d / c, f / e, h / g}'
rm -rf "$work"
