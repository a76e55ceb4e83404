#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu) from the zip that deploy/gradescope/make-zip packs, unpacked in
# /autograder/source. It installs what grading needs — Python for the
# students' programs; util-linux, procps and passwd for the sandbox;
# iproute2 — and builds orchestrate, server and client from the project's
# source in the zip (pa3-mininet/) into /autograder/source/bin.
#
# Built here, not packed built: a Rust binary built against a newer glibc
# than the image's (Ubuntu 22.04 has 2.35) does not start on it. Rust comes
# from rustup unless cargo is already there; building takes a few minutes,
# once per upload of the zip.
#
# Environment: AUTOGRADER_ROOT (default /autograder); CARGO_TARGET_DIR, if
# set, is where cargo builds.
set -euo pipefail

root=${AUTOGRADER_ROOT:-/autograder}
source=$root/source

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  python3 iproute2 util-linux procps passwd coreutils findutils \
  ca-certificates curl gcc libc6-dev

if ! command -v cargo >/dev/null 2>&1; then
  if [ ! -x "$HOME/.cargo/bin/cargo" ]; then
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  fi
  export PATH="$HOME/.cargo/bin:$PATH"
fi
cargo install --locked --force --path "$source/pa3-mininet" --root "$source"
"$source/bin/orchestrate" --version
chmod 0755 "$source/run_autograder"
