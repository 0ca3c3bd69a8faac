#!/usr/bin/env bash
# Peak resident memory of the command line after N explanations in one process (--repeat N), to show that memory stays
# flat over many calls: a process that keeps something per call grows with N. ResNet-18 with random weights, layer4,
# a 224x224 crop of the bundled sample, 2 threads, the command line's default heap.
# Usage: bash DecomCam.Benchmarks/memory-vs-repeat.sh [methods] [repeats] [extra CLI options]
#   defaults: "gradcam decomcam", "20 500". Flat means: peak(500) <= peak(20) * 1.05 + 30 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
methods=${1:-gradcam decomcam}
repeats=${2:-20 500}
extra=${3:-}
dotnet build DecomCam.Cli -c Release -v q -nologo >/dev/null
cli=DecomCam.Cli/bin/Release/net10.0/decomcam.dll
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| method | repeats | median seconds | peak RSS (MiB) |"
echo "|---|---:|---:|---:|"
for method in $methods; do
  for n in $repeats; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "%M" -o "$out/rss" dotnet "$cli" explain --model resnet18 --random-weights --layer layer4 \
      --method "$method" --target 238 --threads 2 --repeat "$n" --overlay "$out/o.png" $extra >"$out/stdout" 2>"$out/err" \
      || { cat "$out/err" >&2; exit 1; }
    median=$(sed -n 's/^median_seconds=//p' "$out/stdout")
    awk -v m="$method" -v n="$n" -v s="$median" -v kb="$(cat "$out/rss")" \
      'BEGIN { printf "| %s | %d | %.3f | %d |\n", m, n, s, kb / 1024 }'
  done
done
