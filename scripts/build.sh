#!/usr/bin/env bash
# Configures and builds one tinyprune build tree.
#   scripts/build.sh [release|asan|fuzz] [ninja targets...]
# release -> build/, asan -> build-asan/ (ASan + UBSan, g++),
# fuzz -> build-fuzz/ (clang-22, libFuzzer; builds the fuzz target).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
KIND="${1:-release}"
shift || true

# ccache hits across checkouts in different directories (CI clones fresh).
export CCACHE_BASEDIR="$ROOT"
export CCACHE_NOHASHDIR=1
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/tinyprune-ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"

COMMON=(-G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
        -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
case "$KIND" in
  release)
    DIR="$ROOT/build"
    FLAGS=(-DCMAKE_BUILD_TYPE=Release -DLLVM_USE_LINKER=lld) ;;
  asan)
    DIR="$ROOT/build-asan"
    FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLVM_USE_LINKER=lld
           -DTINYPRUNE_ENABLE_SANITIZERS=ON) ;;
  fuzz)
    DIR="$ROOT/build-fuzz"
    FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo
           -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22
           -DLLVM_USE_LINKER=lld -DTINYPRUNE_ENABLE_FUZZER=ON)
    [ $# -eq 0 ] && set -- tinyprune-import-fuzzer ;;
  *) echo "usage: $0 [release|asan|fuzz] [targets...]" >&2; exit 2 ;;
esac

if [ ! -f "$DIR/build.ninja" ]; then
  cmake -S "$ROOT" -B "$DIR" "${COMMON[@]}" "${FLAGS[@]}"
fi
ninja -C "$DIR" "$@"
