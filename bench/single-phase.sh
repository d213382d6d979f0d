# Sourced by bench scripts that time one phase per binary (package-bench.sh, linq-bench.sh, foreach-bench.sh); needs $app and $out.
# pub NAME ARGS...   publish $app into $out/NAME (log in $out/NAME.log, shown if the publish fails)
# stat < FILE        "min / median" of a column of numbers
# paired A B         median of the per-round ratios A/B of $out/A.txt and $out/B.txt (> 1.00x: B is faster)
# minratio A B       ratio of their minimums
pub() { local name="$1"; shift; dotnet publish "$app" -c Release -r linux-x64 -nodeReuse:false -v:n -tl:off -nologo -o "$out/$name" "$@" > "$out/$name.log" || { cat "$out/$name.log"; exit 1; }; }
stat() { sort -n | awk '{a[NR]=$1} END {printf "%d / %d", a[1], a[int((NR+1)/2)]}'; }
paired() { paste -d' ' "$out/$1.txt" "$out/$2.txt" | awk '{print $1 / $2}' | sort -n | awk '{a[NR]=$1} END {printf "%.2fx", a[int((NR+1)/2)]}'; }
minratio() { awk -v a="$(sort -n "$out/$1.txt" | head -1)" -v b="$(sort -n "$out/$2.txt" | head -1)" 'BEGIN {printf "%.2fx", a / b}'; }
