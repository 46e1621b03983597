#!/bin/sh
# Installs the Debian packages lumicert needs to build, test, run the demo and the benchmarks.
# Runs apt-get directly as root, through sudo otherwise. Idempotent: quick when everything is there.
set -e
PKGS="build-essential pkg-config libsqlite3-dev libjansson-dev sqlite3 clang libclang-rt-14-dev \
zlib1g-dev liblzma-dev liblz4-dev libzstd-dev libxxhash-dev libcurl4-openssl-dev libxrootd-client-dev xrootd-server \
python3 python3-numpy python3-sklearn python3-pandas libxgboost-dev"
PKGS="$PKGS valgrind time"   # tests/valgrind_demo.sh, bench/memory.sh (/usr/bin/time -v)
# benchmark peers (PyTorch autoencoder, pandas import) and OpenBLAS for numpy/torch
BENCH_PKGS="python3-torch python3-xgboost libopenblas0-pthread hyperfine"
[ "${LC_BENCH:-0}" = 1 ] && PKGS="$PKGS $BENCH_PKGS"
# headless Chromium renders the HTML report in the tests (tests/report_dom.sh); matplotlib is its benchmark peer
PKGS="$PKGS chromium"
[ "${LC_BENCH:-0}" = 1 ] && PKGS="$PKGS python3-matplotlib"
missing=""
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && { echo "deps: all installed"; exit 0; }
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
