#!/usr/bin/env bash
# Trace processing after a recording: the time 'pgo record' takes from the moment the recorded program exits until
# the profile is written (reading the trace, the runtime's PGO text, symbolizing, encoding), on the README's
# recording (samples/ConsoleApp, scale 8), for the tool at a baseline commit (default 9cf60e5, before this work)
# and for this tree (framework-dependent; plus NativeAOT when PGO_TOOL_AOT=<path to a published pgo> is given).
#   replay: the same recording every time (trace + runtime PGO text kept from one 'pgo record --keep-temp', handed
#           back by a stand-in program), so only the processing varies: wall ms of the whole 'pgo record' command.
#   live:   real recordings 'pgo record -- sh -c "dotnet ConsoleApp.dll 8; date"': ms from the program's exit to the
#           end of pgo record.
# Rounds are interleaved (the machine may be shared): min, median and the median of the per-round ratios.
# Usage: bench/trace-processing.sh [rounds] [baseline-commit]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-7}"; base="${2:-9cf60e5}"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
q=(-nodeReuse:false -v:q -nologo)
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
app=samples/ConsoleApp/bin/Release/net10.0/ConsoleApp.dll
dotnet build samples/ConsoleApp -c Release -p:Pgo=off "${q[@]}" >/dev/null
dotnet build src/Pgo.Tool -c Release "${q[@]}" >/dev/null
mkdir -p "$work/before"; git archive "$base" | tar -x -C "$work/before"
dotnet build "$work/before/src/Pgo.Tool" -c Release "${q[@]}" -o "$work/before-bin" >/dev/null
declare -A tool=([before]="dotnet $work/before-bin/pgo.dll" [now]="src/Pgo.Tool/bin/Release/net10.0/pgo")
variants=(before now)
if [ -n "${PGO_TOOL_AOT:-}" ]; then tool[aot]="$PGO_TOOL_AOT"; variants+=(aot); fi

# One recording, kept, and a stand-in program that hands it back to 'pgo record'.
${tool[now]} record --keep-temp -o "$work/kept.pgo" -- dotnet "$app" 8 > /dev/null 2> "$work/kept.err"
kept="$(sed -n 's/^pgo: kept //p' "$work/kept.err")"
mv "$kept"/*.nettrace "$work/trace.nettrace"; mv "$kept/runtime-pgo.txt" "$work/runtime-pgo.txt"; rm -rf "$kept"
cat > "$work/replay.sh" <<EOF
#!/bin/sh
cp "$work/trace.nettrace" "\$(dirname "\$DOTNET_EventPipeOutputPath")/trace-replay.nettrace"
cp "$work/runtime-pgo.txt" "\$DOTNET_PGODataPath"
EOF
chmod +x "$work/replay.sh"
echo "recording: $(du -k "$work/trace.nettrace" | cut -f1) KB trace, $(du -k "$work/runtime-pgo.txt" | cut -f1) KB runtime PGO text; $(grep -o '[0-9,]* CPU samples' "$work/kept.err")" >&2

: > "$work/times"
for r in $(seq "$rounds"); do
  for v in "${variants[@]}"; do
    t0=$(date +%s%N)
    ${tool[$v]} record -o "$work/r.pgo" -- "$work/replay.sh" > /dev/null 2>&1
    echo "$r replay $v $(( ($(date +%s%N) - t0) / 1000000 ))" >> "$work/times"
  done
  for v in "${variants[@]}"; do
    ${tool[$v]} record -o "$work/l.pgo" -- sh -c "dotnet $app 8 > /dev/null; date +%s%N > $work/exit" > /dev/null 2>&1
    echo "$r live $v $(( ($(date +%s%N) - $(cat "$work/exit")) / 1000000 ))" >> "$work/times"
  done
done

med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '\n%-7s %-7s %6s %7s %8s\n' kind variant min median ratio
for k in replay live; do
  for v in "${variants[@]}"; do
    vals() { awk -v k="$k" -v v="$v" '$2 == k && $3 == v {print $4}' "$work/times"; }
    ratio=$(awk -v k="$k" -v v="$v" '$2 == k && $3 == "before" {b[$1] = $4} $2 == k && $3 == v {t[$1] = $4} END {for (r in t) printf "%.3f\n", t[r] / b[r]}' "$work/times" | med)
    printf '%-7s %-7s %6d %7d %8.2f\n' "$k" "$v" "$(vals | sort -n | head -1)" "$(vals | med)" "$ratio"
  done
done
echo "(ms; ratio: median over rounds of variant / before)"
