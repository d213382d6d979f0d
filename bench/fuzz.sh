#!/usr/bin/env bash
# Fuzzes the engine with mutated and hostile profiles (seeded from ../shared/testdata) for a given time:
# decoder, graph, runtime records, receiver-type check, hint writers and readers, cache entry, merger, encoder and
# (every 50th input) the whole engine, under a watchdog. Prints inputs, outcome and failure classes (crashes,
# inputs over 2 s, over 1 GiB), the slowest and largest inputs; failing inputs go to the output directory.
# Usage: bench/fuzz.sh [seconds] [threads] [full|light]   (not part of the test suite)
# The light mix takes small seeds only and makes attacks and bombs ten times rarer: many more inputs per second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-60}"
threads="${2:-2}"
mix="${3:-full}"
dotnet build bench/Pgo.Fuzz -c Release -nodeReuse:false -v:q -nologo >/dev/null || { dotnet build bench/Pgo.Fuzz -c Release -nodeReuse:false -v:q -nologo; exit 1; }
out="$(mktemp -d -t pgo-fuzz.XXXXXX)"
status=0
/usr/bin/time -f "fuzz process: %e s wall, peak RSS %M KiB" dotnet bench/Pgo.Fuzz/bin/Release/net10.0/Pgo.Fuzz.dll \
  --seconds "$seconds" --threads "$threads" --mix "$mix" --out "$out" --testdata "$(cd ..; pwd)/shared/testdata" || status=$?
if [ -s "$out/failures.txt" ]; then echo "failing inputs kept in $out:"; cat "$out/failures.txt"; else rm -rf "$out"; fi
exit $status
