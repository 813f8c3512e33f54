#!/usr/bin/env bash
# A running Docker engine and a compose command (docker compose, or docker-compose).
# Runnable alone: scripts/setup/engine.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DOCKERD_LOG=/var/log/dockerd.log

# --- Docker engine ----------------------------------------------------------
ensure_docker() {
  if docker_up; then
    log "docker engine: running"
    return
  fi
  can_apt || die "no Docker engine answers 'docker info': install Docker Engine (https://docs.docker.com/engine/install/) and start it, or run this script as root on Debian to get docker.io."
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    apt_install docker.io
  fi
  if pgrep -x dockerd >/dev/null; then
    log "dockerd already started, waiting for it"
  elif [[ -d /run/systemd/system ]] && systemctl start docker 2>/dev/null; then
    log "started docker.service"
  else
    log "starting dockerd in the background (log: $DOCKERD_LOG)"
    setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    if docker_up; then
      log "docker engine: running"
      return
    fi
    sleep 1
  done
  die "dockerd did not answer within 60 s; see $DOCKERD_LOG"
}

# --- docker-compose ---------------------------------------------------------
ensure_compose() {
  if docker compose version >/dev/null 2>&1; then
    log "compose: docker compose"
  elif command -v docker-compose >/dev/null; then
    log "compose: docker-compose"
  else
    can_apt || die "no compose command: install the Docker Compose plugin (docker compose) or docker-compose."
    apt_install docker-compose
    log "compose: docker-compose"
  fi
}

ensure_docker
ensure_compose
