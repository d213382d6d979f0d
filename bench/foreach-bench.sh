#!/usr/bin/env bash
# The foreach rewrite on a second program: bench/InvoiceApp (pricing code taking IEnumerable<T> / IReadOnlyList<T> /
# IReadOnlyCollection<T> parameters, handed List<T> and arrays; written apart from samples/ConsoleApp). Records it with
# pgo record, then publishes NativeAOT:
#   aot-off      Pgo=off
#   aot-pgo      the recording (every consumer, the foreach rewrite included)
#   aot-noenum   the recording, PgoEnumerators=false (aot-noenum -> aot-pgo is what the rewrite adds)
# and the JIT build (jit-off, tiered PGO: the reference). Prints the foreach build line (which loops were rewritten,
# which were not and why), runs every binary N times interleaved: min / median, the median of per-round ratios | the
# ratio of minimums (> 1.00x = faster), sizes.
# Usage: bench/foreach-bench.sh [runs] [rounds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-7}"; rounds="${2:-10}"
app=bench/InvoiceApp
out="${PGO_BENCH_DIR:-$(mktemp -d)}"; mkdir -p "$out"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
. bench/single-phase.sh
pub jit-off --self-contained false -p:Pgo=off
dotnet run --project src/Pgo.Tool -c Release -- record -o "$out/invoices.pgo" -- dotnet "$out/jit-off/InvoiceApp.dll" "$rounds" >/dev/null 2>&1
pub aot-off    -p:PublishAot=true -p:Pgo=off
pub aot-pgo    -p:PublishAot=true "-p:Pgo=$out/invoices.pgo"
pub aot-noenum -p:PublishAot=true "-p:Pgo=$out/invoices.pgo" -p:PgoEnumerators=false
echo "foreach build line of aot-pgo:"
grep -E '^\s+PGO: .*foreach' "$out/aot-pgo.log" | sed 's/^ *//' | cut -c1-400
dotnet run --project src/Pgo.Tool -c Release -- top "$out/invoices.pgo" --no-cache --assembly "$out/jit-off/InvoiceApp.dll" 2>/dev/null | grep -E '^    enumerate ' || true
variants="aot-off aot-pgo aot-noenum jit-off"
for v in $variants; do : > "$out/$v.txt"; done
for i in $(seq "$runs"); do
  for v in $variants; do
    if [ "$v" = jit-off ]; then dotnet "$out/$v/InvoiceApp.dll" "$rounds"; else "$out/$v/InvoiceApp" "$rounds"; fi | awk '/^invoices:/ {print $2}' >> "$out/$v.txt"
  done
done
echo
printf '%-12s %s\n' variant "invoices ms min / median"
for v in $variants; do printf '%-12s %s\n' "$v" "$(stat < "$out/$v.txt")"; done
echo
echo "base -> variant (> 1.00x = the variant is faster): median of per-round ratios | ratio of minimums"
for pair in aot-off:aot-pgo aot-off:aot-noenum aot-noenum:aot-pgo jit-off:aot-pgo jit-off:aot-off; do
  printf '  %-24s %s | %s\n' "${pair/:/ -> }" "$(paired "${pair%%:*}" "${pair##*:}")" "$(minratio "${pair%%:*}" "${pair##*:}")"
done
echo
echo "binary size (bytes): aot-off $(command stat -c %s "$out/aot-off/InvoiceApp"), aot-pgo $(command stat -c %s "$out/aot-pgo/InvoiceApp"), aot-noenum $(command stat -c %s "$out/aot-noenum/InvoiceApp")"
[ -n "${PGO_BENCH_DIR:-}" ] || rm -rf "$out"
