#!/usr/bin/env bash
# System packages hookscope's build and tests use on Debian/Ubuntu. Idempotent; needs root
# (or sudo). The window itself needs only an X11 or Wayland session with OpenGL.
set -euo pipefail
packages=(
  pkg-config
  libgl1 libegl1 libxkbcommon-x11-0   # OpenGL + keyboard handling for the window
  mesa-vulkan-drivers                 # software GPU for the UI snapshot tests
  xvfb                                # a virtual display for trying the window headless
  curl                                # the tests run generated curl commands
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
