#!/usr/bin/env bash
# Wall time of building samples/ConsoleApp (Release) with Pgo=off, Pgo=auto and an explicit large profile
# (Go's compiler profile, 241 KB, from ../shared/testdata), three runs each of:
#   cold        bin/ and obj/Release removed, empty PGO cache: full build, profile decoded
#   cached      bin/ and obj/Release removed, warm PGO cache: full build, profile found by hash, not decoded
#   up-to-date  nothing changed: incremental build, profile not even read
# Usage: bench/build-times.sh [profile]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile="${1:-$(cd ..; pwd)/shared/testdata/go/src/cmd/compile/default.pgo}"
app=samples/ConsoleApp
cache="$(mktemp -d)"
export PgoCacheDirectory="$cache" MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
build() { dotnet build "$app" -c Release -nodeReuse:false -tl:off -v:q --no-restore "$@" >/dev/null; }

dotnet restore "$app" -v:q >/dev/null
build # builds the task assembly once
measure() { local t0; t0=$(date +%s%N); build "$@"; echo $(( ($(date +%s%N) - t0) / 1000000 )); }

printf '%-10s %-11s %9s %9s %9s\n' mode kind run1 run2 run3
for mode in off auto path; do
  args=(); [ "$mode" = off ] && args=(-p:Pgo=off); [ "$mode" = path ] && args=("-p:Pgo=$profile")
  for kind in cold cached up-to-date; do
    times=()
    for run in 1 2 3; do
      case $kind in
        cold) rm -rf "$cache"/* "$app/bin" "$app/obj/Release" ;;
        cached) rm -rf "$app/bin" "$app/obj/Release"; [ "$mode" = path ] && build "${args[@]}" && rm -rf "$app/bin" "$app/obj/Release" ;;
        up-to-date) build "${args[@]}" ;;
      esac
      times+=("$(measure "${args[@]}")")
    done
    printf '%-10s %-11s %7d ms %7d ms %7d ms\n' "$mode" "$kind" "${times[@]}"
  done
done
rm -rf "$cache"
