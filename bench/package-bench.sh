#!/usr/bin/env bash
# PGO for code that lives in a NuGet package: bench/PackageApp renders Markdown with Markdig (a widely used,
# NativeAOT-compatible package; the program's own code is a loop). Records the program with pgo record, publishes it
# NativeAOT without PGO (aot-off), with PGO (aot-pgo), with PGO but the package left as it is
# (aot-norefs: PgoRewriteReferences=false, so only the whole-program .mibc reaches Markdig), with neither the
# rewritten package nor the whole-program .mibc (aot-app), and the JIT build (jit-off, tiered PGO: the reference);
# prints the build lines (what was matched and rewritten per assembly), runs every binary N times interleaved and
# prints min/median, the median of per-round ratios | the ratio of minimums (> 1.00x = faster), and binary sizes.
# Usage: bench/package-bench.sh [runs] [rounds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-7}"; rounds="${2:-60}"
app=bench/PackageApp
out="${PGO_BENCH_DIR:-$(mktemp -d)}"; mkdir -p "$out"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
. bench/single-phase.sh
pub jit-off --self-contained false -p:Pgo=off
dotnet run --project src/Pgo.Tool -c Release -- record -o "$out/markdig.pgo" -- dotnet "$out/jit-off/PackageApp.dll" "$rounds" >/dev/null 2>&1
pub aot-off    -p:PublishAot=true -p:Pgo=off
pub aot-pgo    -p:PublishAot=true "-p:Pgo=$out/markdig.pgo"
pub aot-norefs -p:PublishAot=true "-p:Pgo=$out/markdig.pgo" -p:PgoRewriteReferences=false
pub aot-app    -p:PublishAot=true "-p:Pgo=$out/markdig.pgo" -p:PgoRewriteReferences=false -p:PgoWholeProgramMibc=false
echo "build lines of aot-pgo:"
grep -E '^\s+PGO: ' "$out/aot-pgo.log" | sed 's/^ *//' | grep -vE 'frame names|receiver types checked' | cut -c1-400
variants="aot-off aot-pgo aot-norefs aot-app jit-off"
for v in $variants; do : > "$out/$v.txt"; done
for i in $(seq "$runs"); do
  for v in $variants; do
    "$out/$v/PackageApp" "$rounds" | awk '/^markdown:/ {print $2}' >> "$out/$v.txt"
  done
done
echo
printf '%-12s %s\n' variant "markdown ms min / median"
for v in $variants; do printf '%-12s %s\n' "$v" "$(stat < "$out/$v.txt")"; done
echo
echo "base -> variant (> 1.00x = the variant is faster): median of per-round ratios | ratio of minimums"
for pair in aot-off:aot-pgo aot-off:aot-norefs aot-off:aot-app aot-norefs:aot-pgo jit-off:aot-pgo jit-off:aot-off; do
  printf '  %-22s %s | %s\n' "${pair/:/ -> }" "$(paired "${pair%%:*}" "${pair##*:}")" "$(minratio "${pair%%:*}" "${pair##*:}")"
done
echo
echo "binary size (bytes): aot-off $(command stat -c %s "$out/aot-off/PackageApp"), aot-pgo $(command stat -c %s "$out/aot-pgo/PackageApp") ($(awk -v a="$(command stat -c %s "$out/aot-off/PackageApp")" -v b="$(command stat -c %s "$out/aot-pgo/PackageApp")" 'BEGIN {printf "%+.1f%%", 100 * (b - a) / a}'))"
[ -n "${PGO_BENCH_DIR:-}" ] || rm -rf "$out"
