#!/usr/bin/env bash
# The offline demo (no AWS account): starts DynamoDB Local with docker-compose, seeds it with
# `seeder run` and a fixed seed, replays the original conversation through the real Lambda
# handler as Bedrock events, then removes the container and its data.
#
#   scripts/demo.sh             # run the demo, leave nothing running
#   scripts/demo.sh --keep      # leave DynamoDB Local running (http://127.0.0.1:$DYNAMODB_LOCAL_PORT)
#   scripts/demo.sh --hr 900    # talk as HR user 900 for employee 2 instead of as employee 2
#
# Env: DYNAMODB_LOCAL_PORT (default 8000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

keep=0
as=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep) keep=1 ;;
    --hr)
      [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "demo: --hr needs the HR user's employee id, such as --hr 900" >&2; exit 2; }
      as=(--hr "$2"); shift ;;
    -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

export DYNAMODB_LOCAL_PORT="${DYNAMODB_LOCAL_PORT:-8000}"
endpoint="http://127.0.0.1:${DYNAMODB_LOCAL_PORT}"
table=hr-vacations-demo
# Seed 3 makes employee 2 (Jane Smith) Active with 25 days left in 2026 and none booked.
seed=3

scripts/setup.sh >/dev/null
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
compose+=(--project-name hr-vacations-demo)

teardown() {
  if [[ "$keep" -eq 0 ]]; then
    echo "demo: removing DynamoDB Local and its data"
    "${compose[@]}" down --volumes >/dev/null 2>&1 || true
  else
    echo "demo: DynamoDB Local keeps running at $endpoint (stop it: ${compose[*]} down --volumes)"
  fi
}
trap teardown EXIT

echo "demo: starting DynamoDB Local on $endpoint"
"${compose[@]}" up -d dynamodb-local >/dev/null 2>&1 || {
  echo "demo: DynamoDB Local did not start; is port $DYNAMODB_LOCAL_PORT free? (set DYNAMODB_LOCAL_PORT)" >&2
  exit 1
}
container=$("${compose[@]}" ps -q dynamodb-local)
for _ in $(seq 1 60); do
  [[ "$(docker inspect --format '{{.State.Health.Status}}' "$container")" == healthy ]] && break
  sleep 1
done
[[ "$(docker inspect --format '{{.State.Health.Status}}' "$container")" == healthy ]] || {
  echo "demo: DynamoDB Local is not healthy after 60 s" >&2
  exit 1
}

echo "demo: building the seeder and the handler"
cargo build --quiet --locked -p hr-seeder --bin seeder -p hr-demo --bin demo
bin="${CARGO_TARGET_DIR:-target}/debug"

echo "demo: seeding table $table with seed $seed"
"$bin"/seeder run --endpoint-url "$endpoint" --table "$table" --seed "$seed" \
  --current-year 2026 --reset --yes
echo
"$bin"/demo --endpoint-url "$endpoint" --table "$table" --employee 2 "${as[@]}"

echo
echo "demo: the history of employee 2 (every change, who made it, the balances before and after)"
"$bin"/seeder history --endpoint-url "$endpoint" --table "$table" --employee 2

echo
echo "demo: auditing table $table after the conversation"
"$bin"/seeder audit --endpoint-url "$endpoint" --table "$table"
