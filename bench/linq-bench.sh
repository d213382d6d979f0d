#!/usr/bin/env bash
# The LINQ variant on a second program: bench/LinqApp (a sales report with LINQ over List<T>, written apart from
# samples/ConsoleApp). Records it with pgo record (the JIT: speed-optimized LINQ), then publishes NativeAOT:
#   aot-off      Pgo=off (NativeAOT's size-optimized LINQ)
#   aot-offlinq  Pgo=off, UseSizeOptimizedLinq=false (what the LINQ variant alone gives)
#   aot-pgo      the recording (PgoSpeedOptimizedLinq=auto: LINQ is hot, so the speed-optimized variant)
#   aot-pgosize  the recording, PgoSpeedOptimizedLinq=false (the profile's data with the size-optimized LINQ)
# and the JIT build (jit-off, tiered PGO: the reference). Prints the LINQ build line, runs every binary N times
# interleaved: min / median, the median of per-round ratios | the ratio of minimums (> 1.00x = faster), sizes.
# Usage: bench/linq-bench.sh [runs] [rounds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-7}"; rounds="${2:-20}"
app=bench/LinqApp
out="${PGO_BENCH_DIR:-$(mktemp -d)}"; mkdir -p "$out"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
. bench/single-phase.sh
pub jit-off --self-contained false -p:Pgo=off
dotnet run --project src/Pgo.Tool -c Release -- record -o "$out/linq.pgo" -- dotnet "$out/jit-off/LinqApp.dll" "$rounds" >/dev/null 2>&1
pub aot-off     -p:PublishAot=true -p:Pgo=off
pub aot-offlinq -p:PublishAot=true -p:Pgo=off -p:UseSizeOptimizedLinq=false
pub aot-pgo     -p:PublishAot=true "-p:Pgo=$out/linq.pgo"
pub aot-pgosize -p:PublishAot=true "-p:Pgo=$out/linq.pgo" -p:PgoSpeedOptimizedLinq=false
echo "LINQ build line of aot-pgo:"
grep -E '^\s+PGO: .*LINQ' "$out/aot-pgo.log" | sed 's/^ *//' | cut -c1-400
variants="aot-off aot-offlinq aot-pgo aot-pgosize jit-off"
for v in $variants; do : > "$out/$v.txt"; done
for i in $(seq "$runs"); do
  for v in $variants; do
    if [ "$v" = jit-off ]; then dotnet "$out/$v/LinqApp.dll" "$rounds"; else "$out/$v/LinqApp" "$rounds"; fi | awk '/^report:/ {print $2}' >> "$out/$v.txt"
  done
done
echo
printf '%-12s %s\n' variant "report ms min / median"
for v in $variants; do printf '%-12s %s\n' "$v" "$(stat < "$out/$v.txt")"; done
echo
echo "base -> variant (> 1.00x = the variant is faster): median of per-round ratios | ratio of minimums"
for pair in aot-off:aot-pgo aot-off:aot-offlinq aot-offlinq:aot-pgo aot-off:aot-pgosize aot-pgosize:aot-pgo jit-off:aot-pgo jit-off:aot-off; do
  printf '  %-24s %s | %s\n' "${pair/:/ -> }" "$(paired "${pair%%:*}" "${pair##*:}")" "$(minratio "${pair%%:*}" "${pair##*:}")"
done
echo
echo "binary size (bytes): aot-off $(command stat -c %s "$out/aot-off/LinqApp"), aot-offlinq $(command stat -c %s "$out/aot-offlinq/LinqApp"), aot-pgo $(command stat -c %s "$out/aot-pgo/LinqApp"), aot-pgosize $(command stat -c %s "$out/aot-pgosize/LinqApp")"
[ -n "${PGO_BENCH_DIR:-}" ] || rm -rf "$out"
