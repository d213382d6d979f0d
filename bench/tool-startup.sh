#!/usr/bin/env bash
# Start-up of the pgo tool: wall ms of small commands (--version; merge, top, mibc and convert of small real inputs)
# for each way the tool can ship, interleaved round by round (the machine is shared: min, median, and the median of
# the per-round ratios to the first variant):
#   before   the tool at a baseline commit (default: the merge base with main's first parent before this work, 9cf60e5),
#            framework-dependent, as 'dotnet tool install' gave it until now
#   jit      this tree, framework-dependent (the 'any' package every RID without its own gets)
#   r2r      this tree, framework-dependent ReadyToRun for linux-x64 (measured as the alternative to NativeAOT)
#   aot      this tree, NativeAOT for linux-x64 (the linux-x64 package)
# Also prints how many methods each command JIT-compiles in the 'jit' variant (DOTNET_JitStdOutFile), and how long
# the NativeAOT publish took.
# Usage: bench/tool-startup.sh [rounds] [baseline-commit]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-7}"; base="${2:-9cf60e5}"
td="$(cd ..; pwd)/shared/testdata"
# PGO_STARTUP_DIR=<dir> keeps the built variants there and reuses them on the next run (delete it after a change).
if [ -n "${PGO_STARTUP_DIR:-}" ]; then work="$PGO_STARTUP_DIR"; mkdir -p "$work"; rm -f "$work/times"; else work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT; fi
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
q=(-nodeReuse:false -v:q -nologo)

echo "building the variants..." >&2
if [ ! -f "$work/before-bin/pgo.dll" ]; then
  rm -rf "$work/before"; mkdir -p "$work/before"
  git archive "$base" | tar -x -C "$work/before"
  dotnet build "$work/before/src/Pgo.Tool" -c Release "${q[@]}" -o "$work/before-bin" >/dev/null
fi
[ -f "$work/jit/pgo.dll" ] || dotnet build src/Pgo.Tool -c Release "${q[@]}" -o "$work/jit" >/dev/null
[ -f "$work/r2r/pgo.dll" ] || dotnet publish src/Pgo.Tool -c Release -r linux-x64 --self-contained false -p:PublishAot=false -p:PublishReadyToRun=true "${q[@]}" -o "$work/r2r" >/dev/null
if [ ! -f "$work/aot/pgo" ]; then
  t0=$(date +%s)
  dotnet publish src/Pgo.Tool -c Release -r linux-x64 "${q[@]}" -o "$work/aot" >/dev/null
  echo "NativeAOT publish of the tool: $(( $(date +%s) - t0 )) s wall" >&2
fi

# Inputs: the sample's committed profile (50 KB), a .mibc a build writes from it, a 344 KB EventPipe trace.
profile=samples/ConsoleApp/default.pgo
if [ ! -f "$work/app.mibc" ]; then
  dotnet build samples/ConsoleApp -c Release "${q[@]}" >/dev/null
  cp "$(find samples/ConsoleApp/obj/Release -name '*.mibc' | head -1)" "$work/app.mibc"
fi
trace="$td/dotnet/nettrace/dotnetdiag__dotnet-5.0-SampleProfiler-single-thread.golden.nettrace"

declare -A run=(
  [before]="dotnet $work/before-bin/pgo.dll"
  [jit]="$work/jit/pgo"
  [r2r]="$work/r2r/pgo"
  [aot]="$work/aot/pgo"
)
variants=(before jit r2r aot)
commands=(version merge top mibc convert)
args() {
  case $1 in
    version) echo "--version" ;;
    merge) echo "merge $profile $profile -o $work/m.pgo" ;;
    top) echo "top $profile --no-cache -n 10" ;;
    mibc) echo "mibc $work/app.mibc" ;;
    convert) echo "convert $trace -o $work/c.pgo" ;;
  esac
}
for r in $(seq "$rounds"); do
  for c in "${commands[@]}"; do
    for v in "${variants[@]}"; do
      t=$(date +%s%N)
      ${run[$v]} $(args "$c") >/dev/null 2>&1
      echo "$r $c $v $(( ($(date +%s%N) - t) / 1000000 ))" >> "$work/times"
    done
  done
done

printf '\n%-8s %-7s %6s %7s %9s %14s\n' command variant min median "ratio" "methods jitted"
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for c in "${commands[@]}"; do
  jitted=$(DOTNET_JitStdOutFile="$work/jit.txt" DOTNET_JitDisasmSummary=1 ${run[jit]} $(args "$c") >/dev/null 2>&1; wc -l < "$work/jit.txt"); rm -f "$work/jit.txt"
  for v in "${variants[@]}"; do
    min=$(awk -v c="$c" -v v="$v" '$2 == c && $3 == v {print $4}' "$work/times" | sort -n | head -1)
    median=$(awk -v c="$c" -v v="$v" '$2 == c && $3 == v {print $4}' "$work/times" | med)
    ratio=$(awk -v c="$c" -v v="$v" '$2 == c && $3 == "before" {b[$1] = $4} $2 == c && $3 == v {t[$1] = $4} END {for (r in t) printf "%.3f\n", t[r] / b[r]}' "$work/times" | med)
    printf '%-8s %-7s %6d %7d %9.2f %14s\n' "$c" "$v" "$min" "$median" "$ratio" "$([ "$v" = jit ] && echo "$jitted")"
  done
done
echo "(ratio: median over rounds of variant / before; wall ms of the whole command, process start included)"
