#!/usr/bin/env bash
# Does PGO make samples/ConsoleApp faster? Publishes it NativeAOT and ReadyToRun with -p:Pgo=off and with its
# committed default.pgo (Pgo=auto) — NativeAOT also without the framework's data (aot-app: PgoWholeProgramMibc=false;
# the pair aot-app:aot-pgo is what the framework's data adds) — plus three safety builds, NativeAOT with profiles
# that do not represent the measured run:
#   aot-shuffled  the same recording with every receiver type rotated to a wrong one (its CPU samples contradict
#                 it: the build leaves its histograms out with PGO106, so this checks that the check holds);
#   aot-poly      a real recording of the same program on another input (ConsoleApp <scale> poly: only the
#                 polynomial, no recursion), consistent in itself, whose receiver types are wrong for the measured
#                 run at the hot sites of Add and Sub (recorded here with pgo record from the jit-off build);
#   aot-other     a profile of another program (Go's compiler);
# the delegate guards alone off (aot-nodlg: PgoDelegates=false, what the guards add), the foreach rewrite alone off
# (aot-noenum: PgoEnumerators=false, what enumerating the recorded List<T> without allocating adds), Pgo=off with the speed-optimized
# LINQ the PGO build picks when LINQ is hot (aot-offlinq: UseSizeOptimizedLinq=false; aot-off:aot-offlinq is what that
# choice alone gives, aot-offlinq:aot-pgo what the profile adds on top of it), and the JIT build both ways
# (jit-off is the reference: the JIT with its own tiered, dynamic PGO). ReadyToRun runs twice: with
# DOTNET_TieredCompilation=0 (r2r-*: precompiled code only) and with default tiering (r2rt-*: the same binaries).
# PGO_BENCH_EXTRA=1 adds the settled comparisons: edges from every frame (PgoEdgeFrames=all), the inlining consumer
# off (PgoInlining=false), a larger inlining budget (240) and ILC's profile-driven method layouts
# (PgoMethodLayout=ExclusiveWeight/HotCold/HotWarmCold/PettisHansen with PgoFileLayout=MethodOrder).
# Runs every binary N times, interleaved, and prints min/median of the sample's phases (interpreter: virtual calls;
# text pipeline: delegate stages; queries: lambdas into generic helpers and LINQ; total), off/variant ratios
# (> 1 = faster than off) and the binaries' sizes.
# Usage: bench/aot-bench.sh [runs] [scale]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-7}"; scale="${2:-4}"
app=samples/ConsoleApp
out="${PGO_BENCH_DIR:-$(mktemp -d)}"; mkdir -p "$out"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
other="$(cd ..; pwd)/shared/testdata/go/src/cmd/compile/default.pgo"
dotnet run --project bench/Pgo.Bench -c Release -- shuffle "$app/default.pgo" "$out/shuffled.pgo" >/dev/null
pub() { local name="$1"; shift; dotnet publish "$app" -c Release -r linux-x64 -nodeReuse:false -v:q -nologo -o "$out/$name" "$@" >/dev/null; }
pub jit-off      --self-contained false -p:Pgo=off
dotnet run --project src/Pgo.Tool -c Release -- record -o "$out/poly.pgo" -- dotnet "$out/jit-off/ConsoleApp.dll" 8 poly >/dev/null 2>&1
pub aot-off      -p:PublishAot=true -p:Pgo=off
pub aot-pgo      -p:PublishAot=true
pub aot-app      -p:PublishAot=true -p:PgoWholeProgramMibc=false
pub aot-nodlg    -p:PublishAot=true -p:PgoDelegates=false
pub aot-noenum   -p:PublishAot=true -p:PgoEnumerators=false
pub aot-offlinq  -p:PublishAot=true -p:Pgo=off -p:UseSizeOptimizedLinq=false
pub aot-shuffled -p:PublishAot=true "-p:Pgo=$out/shuffled.pgo" -p:MSBuildWarningsAsMessages=PGO106 # PGO106: its receiver types contradict its samples
pub aot-poly     -p:PublishAot=true "-p:Pgo=$out/poly.pgo"
pub aot-other    -p:PublishAot=true "-p:Pgo=$other" -p:MSBuildWarningsAsMessages=PGO104%3BPGO105 # Go's profile: PGO104/PGO105 say it is not this .NET program
pub r2r-off      -p:PublishReadyToRun=true --self-contained false -p:Pgo=off
pub r2r-pgo      -p:PublishReadyToRun=true --self-contained false
pub jit-pgo      --self-contained false
# ReadyToRun with default tiering: the same binaries, run without TieredCompilation=0.
ln -sfn "$out/r2r-off" "$out/r2rt-off"; ln -sfn "$out/r2r-pgo" "$out/r2rt-pgo"
variants="aot-off aot-pgo aot-app aot-nodlg aot-noenum aot-offlinq aot-shuffled aot-poly aot-other r2r-off r2r-pgo r2rt-off r2rt-pgo jit-off jit-pgo"
pairs="aot-off:aot-pgo aot-off:aot-app aot-app:aot-pgo aot-nodlg:aot-pgo aot-noenum:aot-pgo aot-off:aot-offlinq aot-offlinq:aot-pgo aot-off:aot-shuffled aot-off:aot-poly aot-off:aot-other r2r-off:r2r-pgo r2rt-off:r2rt-pgo jit-off:jit-pgo jit-off:aot-pgo jit-off:aot-off"
if [ "${PGO_BENCH_EXTRA:-0}" = 1 ]; then
  pub aot-all      -p:PublishAot=true -p:PgoEdgeFrames=all
  pub aot-noinl    -p:PublishAot=true -p:PgoInlining=false
  pub aot-b240     -p:PublishAot=true -p:PgoInlineBudget=240
  pub jit-all      --self-contained false -p:PgoEdgeFrames=all
  pub jit-noinl    --self-contained false -p:PgoInlining=false
  pub jit-b240     --self-contained false -p:PgoInlineBudget=240
  for layout in ExclusiveWeight HotCold HotWarmCold PettisHansen; do
    pub "aot-$layout" -p:PublishAot=true -p:PgoMethodLayout=$layout -p:PgoFileLayout=MethodOrder
    variants="$variants aot-$layout"; pairs="$pairs aot-pgo:aot-$layout"
  done
  variants="$variants aot-all aot-noinl aot-b240 jit-all jit-noinl jit-b240"
  pairs="$pairs aot-off:aot-all aot-pgo:aot-all aot-noinl:aot-pgo aot-pgo:aot-b240 jit-off:jit-all jit-pgo:jit-all jit-noinl:jit-pgo jit-pgo:jit-b240"
fi
for v in $variants; do : > "$out/$v.txt"; done
for i in $(seq "$runs"); do
  for v in $variants; do
    env=(); case $v in r2r-*) env=(DOTNET_TieredCompilation=0) ;; esac
    env "${env[@]}" "$out/$v/ConsoleApp" "$scale" | awk '/^interpreter:/ {a=$2} /^text pipeline:/ {b=$3} /^queries:/ {q=$2} /^total:/ {c=$2} END {print a, b, q, c}' >> "$out/$v.txt"
  done
done
stat() { sort -n | awk '{a[NR]=$1} END {printf "%d %d\n", a[1], a[int((NR+1)/2)]}'; }
printf '%-18s %20s %20s %20s %20s\n' variant "interpreter min/med" "pipeline min/med" "queries min/med" "total min/med"
for v in $variants; do
  read -r imin imed < <(cut -d' ' -f1 "$out/$v.txt" | stat)
  read -r pmin pmed < <(cut -d' ' -f2 "$out/$v.txt" | stat)
  read -r qmin qmed < <(cut -d' ' -f3 "$out/$v.txt" | stat)
  read -r tmin tmed < <(cut -d' ' -f4 "$out/$v.txt" | stat)
  printf '%-18s %20s %20s %20s %20s\n' "$v" "$imin / $imed" "$pmin / $pmed" "$qmin / $qmed" "$tmin / $tmed"
done
# This 2-core VM alternates between a fast and a slow state for seconds at a time, so medians over all runs mix
# the two. Runs are interleaved: each round's off/variant ratio compares binaries run back to back; the median
# of those per-round ratios, and the ratio of the minimums, are the robust figures.
paired() { paste -d' ' <(cut -d' ' -f"$3" "$out/$1.txt") <(cut -d' ' -f"$3" "$out/$2.txt") | awk '{print $1 / $2}' | sort -n | awk '{a[NR]=$1} END {printf "%.2fx", a[int((NR+1)/2)]}'; }
minratio() { awk -v a="$(cut -d' ' -f"$3" "$out/$1.txt" | sort -n | head -1)" -v b="$(cut -d' ' -f"$3" "$out/$2.txt" | sort -n | head -1)" 'BEGIN {printf "%.2fx", a / b}'; }
echo
echo "off/variant (> 1.00x = faster than Pgo=off): median of per-round ratios | ratio of minimums"
for pair in $pairs; do
  base=${pair%%:*}; v=${pair##*:}
  label="$v"; [ "$base" = "${v%%-*}-off" ] || label="$v/$base"
  printf '  %-22s interpreter %s | %s   pipeline %s | %s   queries %s | %s   total %s | %s\n' "$label" \
    "$(paired "$base" "$v" 1)" "$(minratio "$base" "$v" 1)" "$(paired "$base" "$v" 2)" "$(minratio "$base" "$v" 2)" \
    "$(paired "$base" "$v" 3)" "$(minratio "$base" "$v" 3)" "$(paired "$base" "$v" 4)" "$(minratio "$base" "$v" 4)"
done
echo
echo "binary size (bytes; Go's FAQ answers how PGO changes it, so does this): NativeAOT off $(command stat -c %s "$out/aot-off/ConsoleApp"), off with speed-optimized LINQ $(command stat -c %s "$out/aot-offlinq/ConsoleApp"), with PGO $(command stat -c %s "$out/aot-pgo/ConsoleApp") ($(awk -v a="$(command stat -c %s "$out/aot-off/ConsoleApp")" -v b="$(command stat -c %s "$out/aot-pgo/ConsoleApp")" 'BEGIN {printf "%+.1f%%", 100 * (b - a) / a}'))"
echo "  ReadyToRun ConsoleApp.dll off $(command stat -c %s "$out/r2r-off/ConsoleApp.dll"), with PGO $(command stat -c %s "$out/r2r-pgo/ConsoleApp.dll"); JIT ConsoleApp.dll off $(command stat -c %s "$out/jit-off/ConsoleApp.dll"), with PGO $(command stat -c %s "$out/jit-pgo/ConsoleApp.dll")"
[ -n "${PGO_BENCH_DIR:-}" ] || rm -rf "$out"
