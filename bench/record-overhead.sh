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
# one_run <program: app|pool> <with|without> -> two metrics. app: its total ms, its process CPU ms (user + sys);
# pool: requests in the 10 s window, requests per CPU second of the process in that window.
one_run() {
  local log="$out/run.log"; : > "$log"; rm -f "$out/cpu"
  if [ "$1" = app ]; then /usr/bin/time -f "%U %S" -o "$out/cpu" dotnet "$app" 40 > "$log" & else dotnet "$pool" 10 > "$log" & fi
  local waiter=$! pid=$!
  if [ "$1" = app ]; then for _ in $(seq 200); do pid=$(pgrep -P "$waiter" || true); [ -n "$pid" ] && break; sleep 0.01; done; fi
  if [ "$2" = with ]; then
    if [ "$1" = app ]; then wait_port "$pid"; else wait_line "$log" ready; fi
    "$PGO_TOOL" record --pid "$pid" --duration "${dur}s" -o "$out/p.pgo" 2> "$out/record.err" &
    local rec=$!
  fi
  wait "$waiter"
  if [ "$2" = with ]; then wait "$rec" || { cat "$out/record.err" >&2; exit 1; }; fi
  if [ "$1" = app ]; then
    echo "$(sed -n 's/^total: \([0-9]*\) ms.*/\1/p' "$log") $(awk '{printf "%d", ($1 + $2) * 1000}' "$out/cpu")"
  else
    sed -n 's/^requests: \([0-9]*\) .*cpu: .* s, \([0-9]*\) requests per cpu second.*/\1 \2/p' "$log"
  fi
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
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Costs, as the share of the program's work lost per second of session (medians over rounds of the per-round values):
#   app  wall: (total with - total without) / session ms        cpu: (CPU ms with - without) / CPU ms of the session's seconds without
#   pool wall: requests lost / requests done in the session's seconds without    cpu: 1 - (requests per CPU s with / without), over the session's share of the window
# and "min ratio": best run with / best run without (the least disturbed runs of a shared machine).
printf '\n%-26s %9s %9s %10s %10s %10s %10s\n' "program" "without" "with" "wall cost" "min ratio" "cpu cost" "min ratio"
for p in app pool; do
  rows=$(awk -v p="$p" -v d="$dur" '$2 == p { a[$1, $3] = $4; b[$1, $3] = $5; r[$1] = 1 }
    END { for (k in r) { w = a[k, "without"]; x = a[k, "with"]; cw = b[k, "without"]; cx = b[k, "with"]
      if (p == "app") printf "%s %s %.5f %.5f\n", w, x, (x - w) / (d * 1000), (cx - cw) / (cw * d * 1000 / w)
      else printf "%s %s %.5f %.5f\n", w, x, (w - x) / (w * d / 10), (1 - cx / cw) * 10 / d } }' "$out/attach")
  minr=$(awk -v p="$p" '$2 == p { if (!($3 in m) || (p == "app" ? $4 < m[$3] : $4 > m[$3])) m[$3] = $4; if (!(($3 "c") in m) || (p == "app" ? $5 < m[$3 "c"] : $5 > m[$3 "c"])) m[$3 "c"] = $5 }
    END { printf "%.3f %.3f", m["with"] / m["without"], m["withc"] / m["withoutc"] }' "$out/attach")
  name=$([ "$p" = app ] && echo "ConsoleApp 40 (total ms)" || echo "PoolWork 10 s (requests)")
  printf '%-26s %9d %9d %9.1f%% %10s %9.1f%% %10s\n' "$name" "$(cut -d' ' -f1 <<< "$rows" | med)" "$(cut -d' ' -f2 <<< "$rows" | med)" \
    "$(cut -d' ' -f3 <<< "$rows" | med | awk '{print 100 * $1}')" "${minr% *}" "$(cut -d' ' -f4 <<< "$rows" | med | awk '{print 100 * $1}')" "${minr#* }"
done
echo "(pool's cpu min ratio compares requests per CPU second; app's its CPU ms)"
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
