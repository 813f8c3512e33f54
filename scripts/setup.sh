#!/usr/bin/env bash
# Gives this machine what the tests and the demo need, in three parts, each runnable alone:
#   scripts/setup/engine.sh          a running Docker engine and a compose command
#   scripts/setup/dynamodb-local.sh  the DynamoDB Local image (pulled, or built locally)
#   scripts/setup/ministack.sh       the ministack AWS emulator in target/ministack-venv
# Versions are pinned in versions.env. Idempotent: a few seconds when everything is there.
#
#   scripts/setup.sh            # install/start what is missing
#   scripts/setup.sh --verify   # also smoke-test the image (done anyway after a build)
#
# Env: DYNAMODB_LOCAL_IMAGE  another image reference (default: versions.env's)
#      DOCKER_PULL_TIMEOUT   seconds allowed for `docker pull` (default 120)
set -euo pipefail
parts="$(cd "$(dirname "${BASH_SOURCE[0]}")/setup" && pwd)"

verify=()
for arg in "$@"; do
  case "$arg" in
    --verify) verify=(--verify) ;;
    -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

"$parts/engine.sh"
"$parts/dynamodb-local.sh" "${verify[@]}"
"$parts/ministack.sh"
echo "setup: ready"
