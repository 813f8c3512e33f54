#!/usr/bin/env bash
# The ministack AWS emulator (PyPI, the pinned MINISTACK_VERSION) in target/ministack-venv,
# for the provisioner's integration test. Runnable alone: scripts/setup/ministack.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Pinned: its routes and quirks are what provisioner/tests/provisioner/ministack.rs works around.
# In its own virtualenv because it pins botocore.
MINISTACK_VENV="$ROOT/target/ministack-venv"

ensure_ministack() {
  local marker="$MINISTACK_VENV/.ministack-version"
  if [[ -x "$MINISTACK_VENV/bin/ministack" && -f "$marker" && "$(cat "$marker")" == "$MINISTACK_VERSION" ]]; then
    log "ministack $MINISTACK_VERSION: present"
    return
  fi
  command -v python3 >/dev/null || apt_install python3
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv
  fi
  log "installing ministack $MINISTACK_VERSION into $MINISTACK_VENV"
  rm -rf "$MINISTACK_VENV"
  python3 -m venv "$MINISTACK_VENV"
  "$MINISTACK_VENV/bin/pip" install --quiet --disable-pip-version-check "ministack==$MINISTACK_VERSION"
  [[ -x "$MINISTACK_VENV/bin/ministack" ]] || die "ministack $MINISTACK_VERSION installed no ministack command"
  echo "$MINISTACK_VERSION" >"$marker"
}

ensure_ministack
