#!/usr/bin/env bash
# The whole test suite, from a fresh machine: gets a Docker engine and the DynamoDB Local
# image and the AWS emulator (scripts/setup.sh, its only run in CI too; fast when already
# there), then formatting, lints, and every test.
# Tests that need DynamoDB Local fail, never skip, when it cannot start.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh

# Remove test containers left behind by an interrupted earlier run: those whose test process
# (label hr-vacations.test.pid) is gone. Another run's live containers are left alone.
remove_strays() {
  local id pid
  for id in $(docker ps -aq --filter label=hr-vacations.test 2>/dev/null || true); do
    pid=$(docker inspect --format '{{ index .Config.Labels "hr-vacations.test.pid" }}' "$id" 2>/dev/null || true)
    if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
      docker rm -f -v "$id" >/dev/null 2>&1 || true
    fi
  done
}
remove_strays
trap remove_strays EXIT

echo "test: cargo fmt --check"
cargo fmt --all -- --check
echo "test: cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "test: cargo test"
cargo test --workspace --locked
