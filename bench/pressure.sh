#!/usr/bin/env bash
# Builds under pressure, end to end, with Pgo.Sdk packed into a local feed (as a user gets it) and copies of
# samples/ConsoleApp (its committed recording has runtime PGO data, so every build writes a .mibc and rewrites the
# assembly). After every step the outputs PGO decides -- every file of obj/Release/net10.0/pgo (state files without
# their input stamps), the assembly's Pgo.ProfileSha256 -- are compared with a from-scratch build with the same
# settings (obj/ and bin/ moved aside, a fresh cache), and no *.tmp may be left under the project or the cache.
#   parallel-m      8 projects of one solution, dotnet build -m, one profile, one cold cache          (x rounds)
#   parallel-procs  the same 8 projects as 8 separate dotnet build processes at once, one cold cache  (x rounds)
#   kill            a build killed (SIGKILL, process group) a random 0-2500 ms after GeneratePgoHints starts,
#                   profile alternating between two recordings, cache cold every third time, then built again (x kills)
#   damage          a byte of the cache entry flipped inside a function name or a number, then built again (x rounds)
#   read-only       the cache directory read-only (chattr +i when running as root): PGO102 once, build succeeds
#   aot             NativeAOT publish with one profile, republish with another, from-scratch publish with the second:
#                   hints, .mibc files, ILC's --mibc lines, Pgo.ProfileSha256 and the native binary compared (--aot)
# Prints one line per step and a summary per scenario. Usage: bench/pressure.sh [rounds=3] [kills=12] [--aot]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"
rounds="${1:-3}"; kills="${2:-12}"; aot="${3:-}"
work="${PGO_PRESSURE_DIR:-$(mktemp -d /tmp/pgo-pressure-XXXXXX)}"; mkdir -p "$work"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export MSBUILDTERMINALLOGGER=off
unset PGO_CACHE_DIR
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

echo "work directory: $work; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: times are noisy)"
dotnet pack src/Pgo.Sdk -c Release -o "$work/feed" -p:Version=0.1.0 -nodeReuse:false -v:q >"$work/pack.log" 2>&1 || { echo "pack failed:"; tail -20 "$work/pack.log"; exit 1; }
dotnet build src/Pgo.Tool -c Release -nodeReuse:false -v:q >"$work/tool.log" 2>&1 || { echo "building pgo failed:"; tail -20 "$work/tool.log"; exit 1; }
pgo() { dotnet "$repo/src/Pgo.Tool/bin/Release/net10.0/pgo.dll" "$@"; }
export NUGET_PACKAGES="$work/packages" # the consumers' own package folder, as the tests have (after building the repo with the usual one)
cat > "$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><clear /><add key="local" value="$work/feed" />
<add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources></configuration>
EOF
echo '<Project />' > "$work/Directory.Build.props"; echo '<Project />' > "$work/Directory.Build.targets"
mkdir -p "$work/profiles"
cp samples/ConsoleApp/default.pgo "$work/profiles/a.pgo"
pgo merge "$work/profiles/a.pgo" "$work/profiles/a.pgo" -o "$work/profiles/b.pgo" 2>/dev/null # every count doubled
A="$work/profiles/a.pgo"; B="$work/profiles/b.pgo"

new_project() { # dir
  mkdir -p "$1"; cp "$repo"/samples/ConsoleApp/*.cs "$1/"
  cat > "$1/$(basename "$1").csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><InvariantGlobalization>true</InvariantGlobalization>
    <AssemblyName>ConsoleApp</AssemblyName><RootNamespace>ConsoleApp</RootNamespace></PropertyGroup>
  <ItemGroup><PackageReference Include="Pgo.Sdk" Version="0.1.0" PrivateAssets="all" /></ItemGroup>
</Project>
EOF
}

build() { # dir cache logfile args...
  local dir="$1" cache="$2" log="$3"; shift 3
  PgoCacheDirectory="$cache" dotnet build "$dir" -c Release -nodeReuse:false -tl:off -v:n "$@" >"$log" 2>&1
}

snapshot() { # dir cache [assembly] -> stdout
  # Input stamps, the compiler output's mvid and the rewritten output's hash leave state files (they depend on the
  # project's path); the assembly lines (the dll, and the compiler's copies under pgo/original/) compare those bytes
  # when both builds are in the same directory.
  local dir="$1" cache="$2" pgodir="$1/obj/Release/net10.0/pgo" f
  if [ -d "$pgodir" ]; then
    for f in $(cd "$pgodir" && find . -type f ! -name '*.tmp' | sed 's|^\./||' | sort); do
      if [[ "$f" == */* ]]; then
        [ "${3:-}" = assembly ] && echo "assembly $f $(sha256sum < "$pgodir/$f" | cut -c1-16)"
      elif [[ "$f" == *.state ]]; then
        echo "$f $(grep -v -e '^# stamp: ' -e '^# mvid: ' -e '^# output-sha256: ' "$pgodir/$f" | sed "s|$dir|<project>|g" | sha256sum | cut -c1-16)"
      else
        echo "$f $(sha256sum < "$pgodir/$f" | cut -c1-16)"
      fi
    done
  fi
  echo "Pgo.ProfileSha256 $(grep -ao 'Pgo.ProfileSha256.\{1,2\}[0-9a-f]\{64\}' "$dir/bin/Release/net10.0/ConsoleApp.dll" 2>/dev/null | grep -o '[0-9a-f]\{64\}$' || echo none)"
  [ "${3:-}" = assembly ] && echo "assembly $(sha256sum < "$dir/bin/Release/net10.0/ConsoleApp.dll" | cut -c1-16)"
  find "$dir/obj" "$cache" -name '*.tmp' 2>/dev/null | sed 's/^/TMP /'
}

declare -A refs; nrefs=0
from_scratch() { # dir key args... -> sets REF to the path of the reference snapshot (remembered per key)
  local dir="$1" key="$2"; shift 2
  if [ -z "${refs[$key]:-}" ]; then
    local aside="$work/aside"; rm -rf "$aside"; mkdir -p "$aside"
    [ -d "$dir/obj" ] && mv "$dir/obj" "$aside/obj"; [ -d "$dir/bin" ] && mv "$dir/bin" "$aside/bin"
    nrefs=$((nrefs + 1)); local cache="$work/scratch-cache-$nrefs"
    build "$dir" "$cache" "$work/scratch.log" "$@" || { echo "from-scratch build failed: $(tail -5 "$work/scratch.log")"; }
    refs[$key]="$work/ref-$nrefs.txt"; snapshot "$dir" "$cache" assembly > "${refs[$key]}"
    rm -rf "$dir/obj" "$dir/bin" "$cache"
    [ -d "$aside/obj" ] && mv "$aside/obj" "$dir/obj"; [ -d "$aside/bin" ] && mv "$aside/bin" "$dir/bin"
  fi
  REF="${refs[$key]}"
}

same() { # reference actual [assembly] -> 0 when equal (the assembly line only when asked: other directories embed other paths)
  if [ "${3:-}" = assembly ]; then diff <(cat "$1") <(cat "$2") >/dev/null
  else diff <(grep -v '^assembly ' "$1") <(grep -v '^assembly ' "$2") >/dev/null; fi
}

declare -A pass=([none]=0) fail=([none]=0)
result() { # scenario ok(0/1) text
  if [ "$2" = 0 ]; then pass[$1]=$(( ${pass[$1]:-0} + 1 )); echo "  $1: PASS $3"; else fail[$1]=$(( ${fail[$1]:-0} + 1 )); echo "  $1: FAIL $3"; fi
}

# --- 8 projects -------------------------------------------------------------------------------------------------
mkdir -p "$work/multi"; cd "$work/multi"
dotnet new sln -n all --format sln >/dev/null
for i in 0 1 2 3 4 5 6 7; do new_project "$work/multi/p$i"; dotnet sln all.sln add "p$i/p$i.csproj" >/dev/null; done
dotnet restore all.sln -v:q >/dev/null
cd "$repo"
from_scratch "$work/multi/p0" "multi-a" "-p:Pgo=$A"; ref_multi="$REF"
check_multi() { # scenario label cache log elapsed
  local ok=0 entries tmps
  entries=$(ls "$3/graphs" 2>/dev/null | grep -c '\.graph$'); tmps=$(find "$3" "$work/multi" -name '*.tmp' | wc -l)
  for i in 0 1 2 3 4 5 6 7; do snapshot "$work/multi/p$i" "$3" > "$work/actual.txt"; same "$ref_multi" "$work/actual.txt" || { ok=1; diff <(grep -v '^assembly ' "$ref_multi") "$work/actual.txt" | head -5; }; done
  [ "$entries" = 1 ] && [ "$tmps" = 0 ] || ok=1
  result "$1" $ok "$2: $5 ms, summary lines $(grep -c '(sha256 ' "$4"), cache misses $(grep -o 'cache miss: profile decoded' "$4" | wc -l), hits $(grep -o '(cache hit)' "$4" | wc -l), cache entries $entries, .tmp $tmps"
}
echo "parallel-m: 8 projects, dotnet build -m, one cold cache"
for r in $(seq 1 "$rounds"); do
  rm -rf "$work/multi"/p*/obj/Release "$work/multi"/p*/bin "$work/cache-m"
  t0=$(now_ms); build "$work/multi/all.sln" "$work/cache-m" "$work/m.log" -m "-p:Pgo=$A"; rc=$?
  [ $rc = 0 ] || { result parallel-m 1 "round $r: build failed: $(grep -m3 error "$work/m.log")"; continue; }
  check_multi parallel-m "round $r" "$work/cache-m" "$work/m.log" $(( $(now_ms) - t0 ))
done
echo "parallel-procs: 8 separate dotnet build processes at once, one cold cache"
for r in $(seq 1 "$rounds"); do
  rm -rf "$work/multi"/p*/obj/Release "$work/multi"/p*/bin "$work/cache-p"
  t0=$(now_ms); pids=()
  for i in 0 1 2 3 4 5 6 7; do build "$work/multi/p$i" "$work/cache-p" "$work/p$i.log" "-p:Pgo=$A" & pids+=($!); done
  rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done
  cat "$work"/p[0-7].log > "$work/p.log"
  [ $rc = 0 ] || { result parallel-procs 1 "round $r: a build failed: $(grep -m3 error "$work/p.log")"; continue; }
  check_multi parallel-procs "round $r" "$work/cache-p" "$work/p.log" $(( $(now_ms) - t0 ))
done

# --- one project: kills, damaged entries, read-only cache ---------------------------------------------------------
app="$work/app"; new_project "$app"; cache="$work/cache"
dotnet restore "$app" -v:q >/dev/null
echo "kill: SIGKILL (process group) at a random moment of the PGO step, then build again"
declare -A killed_in=([finished]=0)
for k in $(seq 1 "$kills"); do
  if [ $((k % 2)) = 1 ]; then cp "$A" "$app/default.pgo"; key=app-a; else cp "$B" "$app/default.pgo"; key=app-b; fi
  [ $((k % 3)) = 0 ] && rm -rf "$cache"
  # The moment: 0-300 ms into one of the three PGO tasks (in turn), or 0-2500 ms after the first one starts.
  anchors=(GeneratePgoHints RewritePgoAssembly WritePgoMibc GeneratePgoHints); anchor=${anchors[$((k % 4))]}
  if [ $((k % 4)) = 3 ]; then delay=$(( RANDOM % 2500 )); else delay=$(( RANDOM % 300 )); fi
  PgoCacheDirectory="$cache" setsid dotnet build "$app" -c Release -nodeReuse:false -tl:off -v:d >"$work/k.log" 2>&1 &
  pid=$!; waited=0
  until grep -q "Task \"$anchor\"" "$work/k.log" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null || [ $waited -gt 600000 ]; do sleep 0.02; waited=$((waited + 20)); done
  sleep "$(printf '0.%03d' $((delay % 1000)))"; [ $delay -ge 1000 ] && sleep $((delay / 1000))
  if kill -0 "$pid" 2>/dev/null; then
    at=$(grep -o 'Task "[A-Za-z]*"' "$work/k.log" | tail -1 | cut -d'"' -f2)
    kill -9 -- "-$pid" 2>/dev/null; wait "$pid" 2>/dev/null; state="killed in $at"; killed_in[$at]=$(( ${killed_in[$at]:-0} + 1 ))
  else
    wait "$pid"; state="finished before the kill"; killed_in[finished]=$(( ${killed_in[finished]:-0} + 1 ))
  fi
  left=$(find "$app/obj" "$cache" -name '*.tmp' 2>/dev/null | wc -l)
  build "$app" "$cache" "$work/rebuild.log"; rc=$?
  swept=$(grep -o 'removed [0-9]* temporary file' "$work/rebuild.log" | awk '{ n += $2 } END { print n + 0 }')
  snapshot "$app" "$cache" assembly > "$work/actual.txt"
  from_scratch "$app" "$key"; ref="$REF"
  ok=1; [ $rc = 0 ] && same "$ref" "$work/actual.txt" assembly && ok=0
  result kill $ok "#$k $key, $anchor +${delay} ms: $state; .tmp left by the kill $left, swept by the rebuild ${swept:-0}"
  [ $ok = 0 ] || diff "$ref" "$work/actual.txt" | head -5
done
echo "  kill moments: $(for m in "${!killed_in[@]}"; do printf '%s %s, ' "$m" "${killed_in[$m]}"; done)"

echo "damage: a byte of the cache entry changed inside a function name or a number, then built again"
cp "$A" "$app/default.pgo"; build "$app" "$cache" "$work/d.log"
entry=$(grep -l "^# profile-sha256: $(sha256sum < "$A" | cut -c1-64)\$" "$cache"/graphs/*.graph); good=$(sha256sum < "$entry")
from_scratch "$app" app-a; ref="$REF"
for r in $(seq 1 "$rounds"); do
  for what in name number; do
    if [ $what = name ]; then offsets=$(grep -abo 'ConsoleApp\.[A-Z][a-z]' "$entry" | cut -d: -f1); shift_by=11
    else offsets=$(grep -abo $'^F\t[1-9]' "$entry" | cut -d: -f1); shift_by=2; fi
    n=$(echo "$offsets" | wc -l); off=$(( $(echo "$offsets" | sed -n "$(( RANDOM % n + 1 ))p") + shift_by ))
    old=$(dd if="$entry" bs=1 skip=$off count=1 2>/dev/null)
    if [ $what = name ]; then new=$(echo "$old" | tr 'A-Za-z' 'B-ZAb-za'); else new=$(( (old + 1) % 10 )); fi
    printf '%s' "$new" | dd of="$entry" bs=1 seek=$off conv=notrunc 2>/dev/null
    touch "$app/default.pgo"
    build "$app" "$cache" "$work/d.log"; rc=$?
    snapshot "$app" "$cache" assembly > "$work/actual.txt"
    ok=1; [ $rc = 0 ] && same "$ref" "$work/actual.txt" assembly && grep -q 'damaged entry replaced' "$work/d.log" && [ "$(sha256sum < "$entry")" = "$good" ] && ok=0
    result damage $ok "round $r, $what: byte $off '$old' -> '$new'; log: $(grep -o '(cache [^)]*)' "$work/d.log" | head -1), entry repaired: $([ "$(sha256sum < "$entry")" = "$good" ] && echo yes || echo no)"
  done
done

echo "read-only: the cache directory cannot be written"
ro="$work/cache-ro"; mkdir -p "$ro/graphs"; chmod -R a-w "$ro"; touch "$ro/graphs/probe" 2>/dev/null && { rm -f "$ro/graphs/probe"; chattr -R +i "$ro"; }
touch "$app/default.pgo"
build "$app" "$ro" "$work/ro.log"; rc=$?
chattr -R -i "$ro" 2>/dev/null; chmod -R u+w "$ro"
warnings=$(grep -o 'warning PGO102: .*' "$work/ro.log" | sed 's/ \[.*//' | sort -u)
snapshot "$app" "$ro" assembly > "$work/actual.txt"
ok=1; [ $rc = 0 ] && [ "$(echo "$warnings" | grep -c PGO102)" = 1 ] && ! echo "$warnings" | grep -q '\.\.' && same "$ref" "$work/actual.txt" assembly && [ -z "$(ls "$ro/graphs")" ] && ok=0
result read-only $ok "exit $rc; $warnings"

# --- NativeAOT republish with a changed profile -------------------------------------------------------------------
if [ "$aot" = --aot ]; then
  echo "aot: publish with one profile, republish with another, compare with a from-scratch publish"
  aotapp="$work/aotapp"; new_project "$aotapp"; aotcache="$work/cache-aot"
  publish() { # cache log out
    PgoCacheDirectory="$1" dotnet publish "$aotapp" -c Release -r linux-x64 -p:PublishAot=true -nodeReuse:false -tl:off -v:n -o "$3" >"$2" 2>&1
  }
  aot_snapshot() { # out -> stdout
    local d="$aotapp/obj/Release/net10.0/linux-x64/pgo"
    for f in $(ls "$d" | sort); do
      if [ -d "$d/$f" ]; then echo "$f/ $(cd "$d/$f" && find . -type f ! -name '*.tmp' | sort | while read -r g; do echo "$g $(sha256sum < "$g")"; done | sha256sum | cut -c1-16)"
      elif [[ "$f" == *.state ]]; then echo "$f $(grep -v '^# stamp: ' "$d/$f" | sha256sum | cut -c1-16)"; else echo "$f $(sha256sum < "$d/$f" | cut -c1-16)"; fi
    done
    grep '^--mibc:' "$aotapp/obj/Release/net10.0/linux-x64/native/ConsoleApp.ilc.rsp" | sed "s|$aotapp|<app>|"
    echo "Pgo.ProfileSha256 $(grep -ao 'Pgo.ProfileSha256.\{1,2\}[0-9a-f]\{64\}' "$aotapp/obj/Release/net10.0/linux-x64/ConsoleApp.dll" | grep -o '[0-9a-f]\{64\}$')"
    echo "native $(sha256sum < "$1/ConsoleApp" | cut -c1-16)"
    find "$aotapp/obj" "$aotcache" -name '*.tmp' | sed 's/^/TMP /'
  }
  cp "$A" "$aotapp/default.pgo"
  t0=$(now_ms); publish "$aotcache" "$work/aot1.log" "$work/aot-out"; rc1=$?; t1=$(now_ms)
  cp "$B" "$aotapp/default.pgo"
  publish "$aotcache" "$work/aot2.log" "$work/aot-out"; rc2=$?; t2=$(now_ms)
  aot_snapshot "$work/aot-out" > "$work/aot-incremental.txt"
  mkdir -p "$work/aot-aside"; mv "$aotapp/obj" "$aotapp/bin" "$work/aot-aside/"
  publish "$work/cache-aot-scratch" "$work/aot3.log" "$work/aot-scratch-out"; rc3=$?; t3=$(now_ms)
  aot_snapshot "$work/aot-scratch-out" > "$work/aot-scratch.txt"
  ilc=$(grep -c 'Generating native code' "$work/aot2.log")
  ok=1; [ $rc1 = 0 ] && [ $rc2 = 0 ] && [ $rc3 = 0 ] && [ "$ilc" -ge 1 ] && diff "$work/aot-scratch.txt" "$work/aot-incremental.txt" >/dev/null && ok=0
  result aot $ok "publish A $((t1 - t0)) ms, republish B $((t2 - t1)) ms (ILC ran again: $([ "$ilc" -ge 1 ] && echo yes || echo no)), from scratch B $((t3 - t2)) ms"
  diff "$work/aot-scratch.txt" "$work/aot-incremental.txt" | sed 's/^/    /'
  grep -E '^--mibc:|^native' "$work/aot-incremental.txt" | sed 's/^/    /'
fi

echo "summary:"
for s in parallel-m parallel-procs kill damage read-only aot; do
  [ -n "${pass[$s]:-}${fail[$s]:-}" ] && echo "  $s: ${pass[$s]:-0} passed, ${fail[$s]:-0} failed"
done
[ "${PGO_PRESSURE_KEEP:-0}" = 1 ] || rm -rf "$work"
total_fail=0; for s in "${!fail[@]}"; do total_fail=$((total_fail + ${fail[$s]})); done
exit $(( total_fail > 0 ))
