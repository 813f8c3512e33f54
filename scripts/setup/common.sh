# Shared by the setup parts (sourced, not run): the pinned versions, logging, and apt.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# An image given in the environment wins over the pinned one (as it does for compose).
image_override="${DYNAMODB_LOCAL_IMAGE:-}"
# shellcheck source=../../versions.env
. "$ROOT/versions.env"
DYNAMODB_LOCAL_IMAGE="${image_override:-$DYNAMODB_LOCAL_IMAGE}"

log() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

can_apt() { [[ -f /etc/debian_version && "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; }

apt_updated=0
apt_install() {
  can_apt || die "missing: $* (install it, or run this script as root on Debian so it can do it)"
  if [[ "$apt_updated" -eq 0 ]]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

docker_up() { docker info >/dev/null 2>&1; }
