#!/usr/bin/env bash
# Run the budget benchmarks (PRODUCT.md §11): memory, window and startup. Each prints its
# figures with the budget and PASS / MISS; nothing is asserted.
#
#   scripts/bench.sh                      # all three
#   scripts/bench.sh --bench window       # a subset (arguments go to `cargo bench`)
#
# The window figures of `memory` and `startup` need a display: without DISPLAY this starts
# `Xvfb :99` (package xvfb) for the run and stops it afterwards. Sizes can be lowered for a
# quick look, e.g. HOOKSCOPE_BENCH_ROWS=100000 HOOKSCOPE_BENCH_CAPTURES=20000.
set -euo pipefail
cd "$(dirname "$0")/.."

xvfb_pid=""
cleanup() {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  if command -v Xvfb >/dev/null 2>&1; then
    Xvfb :99 -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    export DISPLAY=:99
    # Wait until the server accepts clients (at most ~5 s).
    for _ in $(seq 50); do
      [ -e /tmp/.X11-unix/X99 ] && break
      sleep 0.1
    done
  else
    echo "no DISPLAY and no Xvfb: the window figures will be skipped" >&2
  fi
fi

if [ "$#" -eq 0 ]; then
  set -- --bench memory --bench window --bench startup
fi
cargo bench "$@"
