#!/usr/bin/env bash
# Side-by-side speed against the libraries users would otherwise pick: pytorch-grad-cam (Grad-CAM, Score-CAM) and the
# official DecomCAM code, run with Debian's python3-torch (see anchors/README.md), against our command line on the same
# weights (torchvision's seeded random ResNet, saved as .pth) and the same 224x224 input, layer4, class 238, CPU.
# Each pair runs one after the other in the same run; ratios are ours / theirs (below 1: we are faster).
# Usage: bash DecomCam.Benchmarks/compare-anchors.sh GRAD_CAM_SRC DECOMCAM_SRC [models] [threads] [busy]
#   models: default "resnet18 resnet50"; threads: default 2; busy: "busy" runs one CPU-bound process alongside.
set -euo pipefail
cd "$(dirname "$0")/.."
gradcam_src=${1:?checkout of pytorch-grad-cam}; decomcam_src=${2:?checkout of the official DecomCAM code}
models=${3:-resnet18 resnet50}; threads=${4:-2}; busy=${5:-}
py=/usr/bin/python3
dotnet build DecomCam.Cli -c Release -v q -nologo >/dev/null
cli=DecomCam.Cli/bin/Release/net10.0/decomcam.dll
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${hog:-}" ] && kill "$hog" 2>/dev/null || true' EXIT
if [ "$busy" = busy ]; then $py -c 'while True: pass' & hog=$!; fi

theirs() { # model method repeat
  $py DecomCam.Benchmarks/anchors/bench_anchors.py --grad-cam-src "$gradcam_src" --decomcam-src "$decomcam_src" \
    --models "$1" --methods "$2" --repeat "$3" --threads "$threads" --input "$work/input.npy" 2>/dev/null \
    | sed -n 's/.*median_seconds=//p'
}
ours() { # model repeat options...
  local model=$1 repeat=$2; shift 2
  dotnet "$cli" explain --model "$model" --weights "$work/$model.pth" --input "$work/input.npy" --layer layer4 \
    --target 238 --threads "$threads" --repeat "$repeat" --overlay "$work/o.png" "$@" 2>/dev/null \
    | sed -n 's/^median_seconds=//p'
}
row() { # model method ours-label anchor theirs ours
  awk -v m="$1" -v x="$2" -v o="$3" -v a="$4" -v t="$5" -v u="$6" \
    'BEGIN { printf "| %s | %s | %s | %s | %.3f s | %.3f s | %.2f |\n", m, x, o, a, t, u, u / t }'
}

echo "| model | method | ours | anchor | anchor time | our time | ratio |"
echo "|---|---|---|---|---:|---:|---:|"
for model in $models; do
  $py DecomCam.Benchmarks/anchors/bench_anchors.py --grad-cam-src "$gradcam_src" --models "$model" --methods gradcam \
    --repeat 1 --warmup 0 --save-weights "$work" >/dev/null 2>&1
  t=$(theirs "$model" gradcam 10); u=$(ours "$model" 10 --method gradcam)
  row "$model" gradcam defaults pytorch-grad-cam "$t" "$u"
  t=$(theirs "$model" decomcam 10); u=$(ours "$model" 10 --method decomcam --decom-mode official)
  row "$model" decomcam "--decom-mode official" official-decomcam "$t" "$u"
  if [ "$model" = resnet18 ]; then
    t=$(theirs "$model" scorecam 2)
    u=$(ours "$model" 2 --method scorecam); row "$model" scorecam defaults "pytorch-grad-cam (32)" "$t" "$u"
    u=$(ours "$model" 2 --method scorecam --batch-size 32); row "$model" scorecam "--batch-size 32" "pytorch-grad-cam (32)" "$t" "$u"
  fi
done
