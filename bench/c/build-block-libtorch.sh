#!/usr/bin/env bash
# Builds bench/c/block_libtorch.cpp against Debian's libtorch-dev (apt-get install libtorch-dev).
# Usage: bench/c/build-block-libtorch.sh <output-binary>. Exits 2 when libtorch headers are absent.
set -euo pipefail
out="${1:?usage: build-block-libtorch.sh <output-binary>}"
here="$(cd "$(dirname "$0")" && pwd)"
inc=/usr/include/torch/csrc/api/include
if [ ! -f "$inc/torch/torch.h" ]; then echo "libtorch not installed (apt-get install libtorch-dev)" >&2; exit 2; fi
mkdir -p "$(dirname "$out")"
g++ -O2 -std=c++17 -DNDEBUG -I/usr/include -I"$inc" "$here/block_libtorch.cpp" -o "$out" \
  -ltorch -ltorch_cpu -lc10 -lpthread
