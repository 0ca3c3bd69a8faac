#!/usr/bin/env bash
# Peak resident memory and time of the issue's two ResNet-50 cases, one process per run: Score-CAM at --batch-size 32
# and DecomCAM with its defaults, random weights, layer4, the bundled sample at 224 px, 2 threads. Each process makes
# one warm-up call and one timed call (--repeat 1); the table gives the median over the runs of the timed seconds and
# of the peak RSS (/usr/bin/time -v, "Maximum resident set size"). The machine may be shared: take the median of a few.
# Usage: bash DecomCam.Benchmarks/memory-resnet50.sh [runs] [cases]
#   defaults: 3 runs, cases "scorecam decomcam". DECOMCAM_CLI=path/to/decomcam.dll measures another build (no build then).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cases=${2:-scorecam decomcam}
cli=${DECOMCAM_CLI:-}
if [ -z "$cli" ]; then
  dotnet build DecomCam.Cli -c Release -v q -nologo >/dev/null
  cli=DecomCam.Cli/bin/Release/net10.0/decomcam.dll
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "| case | runs | median seconds | median peak RSS (MiB) |"
echo "|---|---:|---:|---:|"
for c in $cases; do
  case $c in
    scorecam) options="--method scorecam --batch-size 32" ;;
    decomcam) options="--method decomcam" ;;
    *) echo "unknown case $c (scorecam, decomcam)" >&2; exit 2 ;;
  esac
  : >"$out/seconds"; : >"$out/rss"
  for _ in $(seq "$runs"); do
    # shellcheck disable=SC2086
    /usr/bin/time -v -o "$out/time" dotnet "$cli" explain --model resnet50 --random-weights --layer layer4 \
      --target 238 --threads 2 --repeat 1 --overlay "$out/o.png" $options >"$out/stdout" 2>"$out/err" \
      || { cat "$out/err" >&2; exit 1; }
    sed -n 's/^median_seconds=//p' "$out/stdout" >>"$out/seconds"
    sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time" >>"$out/rss"
  done
  awk -v c="$c" -v n="$runs" -v s="$(median <"$out/seconds")" -v kb="$(median <"$out/rss")" \
    'BEGIN { printf "| %s | %d | %.3f | %d |\n", c, n, s, kb / 1024 }'
done
