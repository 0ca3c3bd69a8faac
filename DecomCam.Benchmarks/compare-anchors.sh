#!/usr/bin/env bash
# Side-by-side speed against the libraries users would otherwise pick: pytorch-grad-cam (Grad-CAM, Score-CAM) and the
# official DecomCAM code, run with Debian's python3-torch (see anchors/README.md), against our command line on the same
# weights (torchvision's seeded random ResNet, saved as .pth) and the same 224x224 input, layer4, class 238, CPU.
# Each pair runs one after the other in the same run; ratios are ours / theirs (below 1: we are faster). Beside each pair,
# the same run times our floor (`DecomCam.Benchmarks floor`: the forwards and backward the method cannot avoid, alone)
# and, in that same process, rounds interleaved with the floor's, our method's call: "ours / floor" is that call over the
# floor (one process, so the few-percent drift between processes does not enter it), for our defaults only: rows with a
# forced layout or batch size show "-" there.
# Every case runs under each CPU profile, and our masked methods (DecomCAM, Score-CAM) under each masked layout, so that
# one machine stands in for the CPUs users have; the first column says which profile and layout a row used.
# Usage: bash DecomCam.Benchmarks/compare-anchors.sh GRAD_CAM_SRC DECOMCAM_SRC [models] [threads] [busy] [profiles] [layouts] [methods]
#   models: default "resnet18 resnet50"; threads: default 2; busy: "busy" runs one CPU-bound process alongside ("" for none).
#   profiles: default "native avx2". native: libtorch's best kernels for this CPU; avx2: ATEN_CPU_CAPABILITY=avx2 and
#     ONEDNN_MAX_CPU_ISA=AVX2 for both sides (our process and the Python anchors), as on a CPU without AVX-512.
#   layouts: default "auto contiguous channels-last" (our --layout; Grad-CAM has no masked forwards and runs once per profile).
#   methods: default "gradcam decomcam scorecam" (Score-CAM on resnet18 only, as before).
set -euo pipefail
cd "$(dirname "$0")/.."
gradcam_src=${1:?checkout of pytorch-grad-cam}; decomcam_src=${2:?checkout of the official DecomCAM code}
models=${3:-resnet18 resnet50}; threads=${4:-2}; busy=${5:-}
profiles=${6:-native avx2}; layouts=${7:-auto contiguous channels-last}; methods=${8:-gradcam decomcam scorecam}
for profile in $profiles; do
  case $profile in native|avx2) ;; *) echo "unknown CPU profile '$profile' (native, avx2)" >&2; exit 2 ;; esac
done
for layout in $layouts; do
  case $layout in auto|contiguous|channels-last) ;; *) echo "unknown layout '$layout' (auto, contiguous, channels-last)" >&2; exit 2 ;; esac
done
py=/usr/bin/python3
dotnet build DecomCam.Cli -c Release -v q -nologo >/dev/null
dotnet build DecomCam.Benchmarks -c Release -v q -nologo >/dev/null
cli=DecomCam.Cli/bin/Release/net10.0/decomcam.dll
benchmarks=DecomCam.Benchmarks/bin/Release/net10.0/DecomCam.Benchmarks.dll
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${hog:-}" ] && kill "$hog" 2>/dev/null || true' EXIT
if [ "$busy" = busy ]; then $py -c 'while True: pass' & hog=$!; fi

profile_env=()
use_profile() { # profile: the environment both sides run under
  case $1 in
    native) profile_env=() ;;
    avx2) profile_env=(ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2) ;;
  esac
}
theirs() { # model method repeat
  env "${profile_env[@]}" $py DecomCam.Benchmarks/anchors/bench_anchors.py --grad-cam-src "$gradcam_src" --decomcam-src "$decomcam_src" \
    --models "$1" --methods "$2" --repeat "$3" --threads "$threads" --input "$work/input.npy" 2>/dev/null \
    | sed -n 's/.*median_seconds=//p' || true
}
ours() { # model repeat options...
  local model=$1 repeat=$2; shift 2
  env "${profile_env[@]}" dotnet "$cli" explain --model "$model" --weights "$work/$model.pth" --input "$work/input.npy" --layer layer4 \
    --target 238 --threads "$threads" --repeat "$repeat" --overlay "$work/o.png" "$@" 2>/dev/null \
    | sed -n 's/^median_seconds=//p' || true
}
floor() { # model method repeat: our floor's seconds and our call over it, in one process ("seconds ratio")
  env "${profile_env[@]}" dotnet "$benchmarks" floor "$1" "$2" "$3" "$threads" 2>/dev/null \
    | awk -F= '$1 == "median_seconds" { f = $2 } $1 == "call_over_floor" { r = $2 } END { if (f != "") print f, r }' || true
}
row() { # profile model method ours-label anchor theirs ours "floor ratio" (an empty time: that run failed)
  awk -v p="$1" -v m="$2" -v x="$3" -v o="$4" -v a="$5" -v t="$6" -v u="$7" -v fr="$8" 'BEGIN {
    split(fr, parts, " "); f = parts[1]; c = parts[2]
    tt = t == "" ? "failed" : sprintf("%.3f s", t); ut = u == "" ? "failed" : sprintf("%.3f s", u)
    ft = f == "" ? "failed" : sprintf("%.3f s", f)
    r = (t == "" || u == "") ? "-" : sprintf("%.2f", u / t); q = c == "" ? "-" : sprintf("%.2f", c)
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p, m, x, o, a, tt, ut, r, ft, q }'
}
wants() { [[ " $methods " == *" $1 "* ]]; }

native=$(grep -qw avx512f /proc/cpuinfo && echo AVX-512 || echo AVX2)
caches=$([ -d /sys/devices/system/cpu/cpu0/cache ] && echo reported || echo "not reported")
echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); native profile: $native; cache sizes $caches"
echo
echo "| profile | model | method | ours | anchor | anchor time | our time | ratio | our floor | ours / floor |"
echo "|---|---|---|---|---|---:|---:|---:|---:|---:|"
for model in $models; do
  use_profile native
  $py DecomCam.Benchmarks/anchors/bench_anchors.py --grad-cam-src "$gradcam_src" --models "$model" --methods gradcam \
    --repeat 1 --warmup 0 --save-weights "$work" >/dev/null 2>&1
  for profile in $profiles; do
    use_profile "$profile"
    if wants gradcam; then
      t=$(theirs "$model" gradcam 10); u=$(ours "$model" 10 --method gradcam); f=$(floor "$model" gradcam 30)
      row "$profile" "$model" gradcam defaults pytorch-grad-cam "$t" "$u" "$f"
    fi
    if wants decomcam; then
      t=$(theirs "$model" decomcam 10); f=$(floor "$model" decomcam 30)
      for layout in $layouts; do
        u=$(ours "$model" 10 --method decomcam --decom-mode official --layout "$layout")
        row "$profile, $layout" "$model" decomcam "--decom-mode official" official-decomcam "$t" "$u" "$([ "$layout" = auto ] && echo "$f" || echo "${f%% *}")"
      done
    fi
    if wants scorecam && [ "$model" = resnet18 ]; then
      t=$(theirs "$model" scorecam 2); f=$(floor "$model" scorecam 2)
      for layout in $layouts; do
        u=$(ours "$model" 2 --method scorecam --layout "$layout"); row "$profile, $layout" "$model" scorecam defaults "pytorch-grad-cam (32)" "$t" "$u" "$([ "$layout" = auto ] && echo "$f" || echo "${f%% *}")"
        u=$(ours "$model" 2 --method scorecam --batch-size 32 --layout "$layout"); row "$profile, $layout" "$model" scorecam "--batch-size 32" "pytorch-grad-cam (32)" "$t" "$u" "${f%% *}"
      done
    fi
  done
done
