#!/bin/sh
# run-all.sh - the whole test suite from a fresh checkout: install the
# packages (as root), build out of tree in ./build, run make check.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
sh scripts/deps.sh
[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || "$top/configure" -q
make -j"$(nproc)"
make -j"$(nproc)" check || {
	cat test-suite.log tests/*.log 2>/dev/null | tail -n 200
	exit 1
}
