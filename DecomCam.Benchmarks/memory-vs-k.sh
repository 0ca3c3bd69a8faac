#!/usr/bin/env bash
# Peak resident memory and time of Score-CAM (and UnionCAM) as the channel count K grows, each run in its own process
# (BenchmarkDotNet's in-process peak includes what earlier cases left behind). Uses the command line with random
# weights on a 224x224 crop of the bundled sample, once with the command line's default heap (NativeHeap.KeepFreedMemory)
# and once with libtorch on transparent huge pages as well (--huge-pages: NativeHeap.UseHugePages). Usage: bash DecomCam.Benchmarks/memory-vs-k.sh [methods] [cases]
#   methods: space-separated, default "scorecam"; cases: "model:layer" pairs, default ResNet-18 layer2..4 (K=128..512).
set -euo pipefail
cd "$(dirname "$0")/.."
methods=${1:-scorecam}
cases=${2:-"resnet18:layer2 resnet18:layer3 resnet18:layer4"}
dotnet build DecomCam.Cli -c Release -v q -nologo >/dev/null
cli=DecomCam.Cli/bin/Release/net10.0/decomcam.dll
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| model | layer | method | heap | seconds | peak RSS (MiB) |"
echo "|---|---|---|---|---:|---:|"
for heap in default huge-pages; do
  for method in $methods; do
    for case in $cases; do
      model=${case%%:*}; layer=${case#*:}
      start=$(date +%s%N)
      /usr/bin/time -f "%M" -o "$out/rss" dotnet "$cli" explain --model "$model" --random-weights --layer "$layer" \
        --method "$method" --target 0 --overlay "$out/o.png" $([ $heap = huge-pages ] && echo --huge-pages) >/dev/null 2>"$out/err" || { cat "$out/err" >&2; exit 1; }
      end=$(date +%s%N)
      awk -v m="$model" -v l="$layer" -v x="$method" -v h="$heap" -v ns=$((end - start)) -v kb="$(cat "$out/rss")" \
        'BEGIN { printf "| %s | %s | %s | %s | %.1f | %d |\n", m, l, x, h, ns / 1e9, kb / 1024 }'
    done
  done
done
