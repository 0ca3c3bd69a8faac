#!/usr/bin/env bash
# Peak resident memory of `decomcam explain --input DIR --out DIR` on sets of different sizes, to show that memory does
# not grow with the set: the decoded images wait in a bounded queue and explained ones in the output stage's bounded
# queue. The bundled scenenet on copies of the 128-px bundled sample, --images-per-batch 8, maps and overlays written.
# Usage: bash DecomCam.Benchmarks/memory-vs-set-size.sh [methods] [sizes]
#   defaults: "gradcam decomcam", "100 2000". Flat means: peak(2000) <= peak(100) * 1.05 + 30 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
methods=${1:-gradcam decomcam}
sizes=${2:-100 2000}
dotnet build DecomCam.Cli -c Release -v q -nologo >/dev/null
cli=DecomCam.Cli/bin/Release/net10.0/decomcam.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| method | images | seconds | peak RSS (MiB) | model waiting for input | model waiting for the writer |"
echo "|---|---:|---:|---:|---:|---:|"
for n in $sizes; do
  mkdir -p "$work/images-$n"
  for i in $(seq -w 1 "$n"); do cp DecomCam.Cli/assets/sample.png "$work/images-$n/sample-$i.png"; done
done
for method in $methods; do
  for n in $sizes; do
    rm -rf "$work/out"
    start=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$work/rss" dotnet "$cli" explain --input "$work/images-$n" --out "$work/out" \
      --method "$method" --images-per-batch 8 >"$work/stdout" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    seconds=$(( ($(date +%s%N) - start) / 1000000 ))
    input=$(grep -o 'waiting for input [0-9.]* s ([0-9.]*%' "$work/stdout" | grep -o '[0-9.]*%$')
    writer=$(grep -o 'waiting for the writer [0-9.]* s ([0-9.]*%' "$work/stdout" | grep -o '[0-9.]*%$')
    awk -v m="$method" -v n="$n" -v s="$seconds" -v kb="$(cat "$work/rss")" -v i="$input" -v w="$writer" \
      'BEGIN { printf "| %s | %d | %.1f | %d | %s | %s |\n", m, n, s / 1000, kb / 1024, i, w }'
  done
done
