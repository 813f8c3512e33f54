#!/usr/bin/env bash
# The whole test suite, from a fresh machine: gets a Docker engine and the DynamoDB Local
# image (scripts/setup.sh; fast when already there), then formatting, lints, and every test.
# Tests that need DynamoDB Local fail, never skip, when it cannot start.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh

# Remove test containers left behind by an interrupted earlier run.
remove_strays() {
  local strays
  strays=$(docker ps -aq --filter label=hr-vacations.test 2>/dev/null || true)
  if [[ -n "$strays" ]]; then
    # shellcheck disable=SC2086
    docker rm -f $strays >/dev/null 2>&1 || true
  fi
}
remove_strays
trap remove_strays EXIT

echo "test: cargo fmt --check"
cargo fmt --all -- --check
echo "test: cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "test: cargo test"
cargo test --workspace --locked
