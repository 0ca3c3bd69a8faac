#!/usr/bin/env bash
# BenchmarkDotNet with a side-by-side column: times the Python anchors (anchors/bench_anchors.py: pytorch-grad-cam's
# Grad-CAM and Score-CAM, the official DecomCAM code; Debian's python3-torch, 2 threads, see anchors/README.md), then runs
# the AnchorBenchmarks classes, whose "Anchor (Python)" and "× anchor" columns read those times: one run, both sides.
# Usage: bash DecomCam.Benchmarks/anchors-in-benchmarks.sh GRAD_CAM_SRC DECOMCAM_SRC   (about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
gradcam_src=${1:?checkout of pytorch-grad-cam}; decomcam_src=${2:?checkout of the official DecomCAM code}
times=$(mktemp)
trap 'rm -f "$times"' EXIT
for case in resnet18:gradcam,decomcam,scorecam resnet50:gradcam,decomcam; do
  /usr/bin/python3 DecomCam.Benchmarks/anchors/bench_anchors.py --grad-cam-src "$gradcam_src" --decomcam-src "$decomcam_src" \
    --models "${case%%:*}" --methods "${case#*:}" --threads 2 2>/dev/null | tee -a "$times"
done
DECOMCAM_ANCHOR_TIMES="$times" dotnet run -c Release --project DecomCam.Benchmarks -- --filter '*Anchor*'
