#!/usr/bin/env bash
# What recording costs the recorded program.
#
# 1. Production recording, 'pgo record --pid N --duration D' (attach, CPU samples only), on two programs, each run
#    with and without a session, interleaved round by round:
#    - samples/ConsoleApp (Release, scale 40, ~10 s): the session starts as soon as the runtime's diagnostics port is
#      open and lasts D (default 6 s, ending before the program does, so its rundown is paid inside the run). Metric:
#      the program's own "total" ms.
#    - bench/PoolWork (thread-pool server-like workload, 4 x cores async workers): after its warm-up second it
#      measures 10 s; the session starts then and lasts D. Metric: requests completed in the 10 s.
#    Cost = the work lost, as a share of what the program does in D seconds without a session (the session's own
#    seconds; the tool's processing of the trace after it, on the same cores, is inside the window too).
# 2. Training recording, 'pgo record -- cmd' (the whole run, runtime PGO data, DOTNET_ReadyToRun=0 by default), on
#    samples/ConsoleApp at scale 4: program total and wall time of plain run / pgo record / pgo record --keep-readytorun.
#
# The machine may be shared: runs are interleaved and medians and per-round ratios are printed.
# Usage: bench/record-overhead.sh [rounds] [duration-seconds]   (PGO_TOOL=<path to a pgo executable> to measure another build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-5}"; dur="${2:-6}"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
q=(-nodeReuse:false -v:q -nologo)
app=samples/ConsoleApp/bin/Release/net10.0/ConsoleApp.dll
pool=bench/PoolWork/bin/Release/net10.0/PoolWork.dll
dotnet build samples/ConsoleApp -c Release -p:Pgo=off "${q[@]}" >/dev/null
dotnet build bench/PoolWork -c Release "${q[@]}" >/dev/null
if [ -z "${PGO_TOOL:-}" ]; then
  dotnet build src/Pgo.Tool -c Release "${q[@]}" >/dev/null
  PGO_TOOL=src/Pgo.Tool/bin/Release/net10.0/pgo
fi
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
tmp="${TMPDIR:-/tmp}"

wait_port() { # the runtime's diagnostics socket of pid $1 exists
  for _ in $(seq 400); do ls "$tmp"/dotnet-diagnostic-"$1"-*-socket >/dev/null 2>&1 && return 0; sleep 0.025; done; return 1
}
wait_line() { # file $1 has a line $2
  for _ in $(seq 800); do grep -q "^$2" "$1" 2>/dev/null && return 0; sleep 0.025; done; return 1
}
# one_run <program: app|pool> <with|without> -> prints the metric (app: total ms; pool: requests)
one_run() {
  local log="$out/run.log"; : > "$log"
  if [ "$1" = app ]; then dotnet "$app" 40 > "$log" & else dotnet "$pool" 10 > "$log" & fi
  local pid=$!
  if [ "$2" = with ]; then
    if [ "$1" = app ]; then wait_port "$pid"; else wait_line "$log" ready; fi
    "$PGO_TOOL" record --pid "$pid" --duration "${dur}s" -o "$out/p.pgo" 2> "$out/record.err" &
    local rec=$!
  fi
  wait "$pid"
  if [ "$2" = with ]; then wait "$rec" || { cat "$out/record.err" >&2; exit 1; }; fi
  if [ "$1" = app ]; then sed -n 's/^total: \([0-9]*\) ms.*/\1/p' "$log"; else sed -n 's/^requests: \([0-9]*\) .*/\1/p' "$log"; fi
}

echo "production recording: pgo record --pid N --duration ${dur}s ($PGO_TOOL), $rounds rounds" >&2
: > "$out/attach"
for r in $(seq "$rounds"); do
  for p in app pool; do
    for m in without with; do echo "$r $p $m $(one_run "$p" "$m")" >> "$out/attach"; done
  done
  grep "^$r " "$out/attach" | tr '\n' ' ' >&2; echo >&2
done
stats=$(grep -m1 "CPU samples" "$out/record.err" || true)
printf '\n%-34s %10s %10s %10s %12s\n' "program (metric)" "without" "with" "ratio" "cost of ${dur}s"
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for p in app pool; do
  # app: total ms (higher is worse): cost = extra ms over the session's ms. pool: requests in 10 s (lower is worse):
  # cost = requests lost over those done in the session's seconds without it.
  rows=$(awk -v p="$p" -v d="$dur" '$2 == p { v[$1, $3] = $4; r[$1] = 1 }
    END { for (k in r) { w = v[k, "without"]; x = v[k, "with"]
      printf "%s %s %.4f %.5f\n", w, x, x / w, (p == "app") ? (x - w) / (d * 1000) : (w - x) / (w * d / 10) } }' "$out/attach")
  name=$([ "$p" = app ] && echo "ConsoleApp 40 (total ms)" || echo "PoolWork 10 s (requests)")
  printf '%-34s %10d %10d %10.3f %11.1f%%\n' "$name" "$(cut -d' ' -f1 <<< "$rows" | med)" "$(cut -d' ' -f2 <<< "$rows" | med)" \
    "$(cut -d' ' -f3 <<< "$rows" | med)" "$(cut -d' ' -f4 <<< "$rows" | med | awk '{print 100 * $1}')"
done
echo "(medians over rounds; ratio = with / without per round; cost = work lost per second of session, median)"
echo "last recording: $stats"

echo >&2; echo "training recording: pgo record -- dotnet ConsoleApp.dll 4" >&2
stat_line() { sort -n | awk '{a[NR]=$1} END {printf "min %6d  median %6d", a[1], a[int((NR+1)/2)]}'; }
: > "$out/train"
for r in $(seq "$rounds"); do
  for mode in plain record keep; do
    t0=$(date +%s%N)
    case $mode in
      plain) total=$(dotnet "$app" 4 2>/dev/null | sed -n 's/^total: \([0-9]*\) ms.*/\1/p') ;;
      record) total=$("$PGO_TOOL" record -o "$out/t.pgo" -- dotnet "$app" 4 2>/dev/null | sed -n 's/^total: \([0-9]*\) ms.*/\1/p') ;;
      keep) total=$("$PGO_TOOL" record --keep-readytorun -o "$out/t.pgo" -- dotnet "$app" 4 2>/dev/null | sed -n 's/^total: \([0-9]*\) ms.*/\1/p') ;;
    esac
    echo "$mode $total $(( ($(date +%s%N) - t0) / 1000000 ))" >> "$out/train"
  done
done
printf '\n%-30s %28s %28s\n' "mode" "program total ms" "wall ms"
for mode in plain record keep; do
  case $mode in plain) label="plain run" ;; record) label="pgo record (training)" ;; keep) label="pgo record --keep-readytorun" ;; esac
  printf '%-30s %28s %28s\n' "$label" "$(awk -v m=$mode '$1 == m {print $2}' "$out/train" | stat_line)" "$(awk -v m=$mode '$1 == m {print $3}' "$out/train" | stat_line)"
done
