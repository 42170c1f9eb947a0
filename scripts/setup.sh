#!/usr/bin/env bash
# Installs what the project needs from Debian when it is missing: OpenBLAS, oneDNN, zlib,
# libjpeg-turbo, libpng, libwebp (photo decoding), OpenSSL's libcrypto (SHA-256), FAISS (approximate search),
# pkg-config and the Fashion-MNIST dataset. Safe to run again; uses sudo when not root.
set -euo pipefail
packages=(libopenblas-dev libdnnl-dev zlib1g-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libwebp-dev libssl-dev libfaiss-dev pkg-config dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "error: swift not found; install the Swift 6 toolchain" >&2; exit 1; }
