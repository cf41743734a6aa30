#!/usr/bin/env bash
# Installs everything tinyprune needs on Debian bookworm (run as root).
# Idempotent: when every package is present it does nothing.
set -euo pipefail

PACKAGES=(
  # Build
  cmake ninja-build ccache g++ lld
  # LLVM / MLIR 22 (lit and FileCheck live in /usr/lib/llvm-22/bin)
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # The fuzzer: clang 22 with libFuzzer and the sanitizer runtimes
  clang-22 libclang-rt-22-dev
  # TFLite flatbuffers
  libflatbuffers-dev flatbuffers-compiler
  # Dense linear algebra (least-squares reconstruction in the pruning passes)
  libeigen3-dev
  # In-compiler training (lib/Training): LibTorch, and OpenBLAS so that it
  # does not fall back to the reference BLAS
  libtorch-dev libopenblas0-pthread
  # Tests
  python3 libgtest-dev
  # Benchmarks (bench/prune_bench.py fidelity, sparse_conv_bench)
  python3-numpy
  # Cortex-M builds of generated code, run under QEMU
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  qemu-system-arm
  # Independent test oracle: Arm NN's reference backend (test/tools/armnn-run)
  libarmnn-dev libarmnntfliteparser-dev libarmnn-cpuref-backend22
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
  -o DPkg::Lock::Timeout=1200 "${missing[@]}"
