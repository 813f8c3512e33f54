#!/usr/bin/env bash
# Smoke test on a REAL AWS account: never run by CI, never by the test suite.
#
# What it does, in order, for the platform you name (classic or agentcore), stopping at the
# first unexpected answer:
#   1. builds the Lambda package and the provisioner;
#   2. `up` (what each step prints: "✓ <resource>: created"; exit 0, or 5 on Classic when
#      Agents Classic is closed to the account — then run it again with agentcore);
#   3. `up` again: every step says "unchanged" (or "already prepared");
#   4. `status`: "No drift";
#   5. seeds a few employees into the table (the seeder, against the real table);
#   6. AgentCore: creates the trial users 2 (employee) and 900 (HR);
#   7. asks for a balance (answer names a number of days) and books two days with --yes
#      (answer confirms the booking), then asks as employee 3 for employee 2's balance
#      (answer refuses: not allowed);
#   8. `seeder audit`: OK;
#   9. `down --delete-table`, then `down` again: every step says "already gone".
#
# Usage: scripts/smoke-aws.sh classic|agentcore [--keep]
#   AWS_PROFILE / AWS_REGION as usual; PROVISIONER_NAME (default hr-smoke) names everything.
#   --keep leaves the deployment up (remove it later with the `down` line printed at the end).
#
# What stays unconfirmed without a real account, and which step shows it:
#   - the gateway forwards the `_caller` argument the interceptor adds (step 7: a balance,
#     not "not signed in");
#   - the gateway's CUSTOM_JWT accepts Cognito ID tokens by their audience (step 7: no 401);
#   - `allowedTools` keeps the harness's built-in tools off (step 7 with --trace: only our
#     four tools are ever called).
# Cost: a few cents (model tokens, requests); `down --delete-table` removes everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

platform="${1:-}"
keep="${2:-}"
case "$platform" in
  classic|agentcore) ;;
  *) echo "usage: $0 classic|agentcore [--keep]" >&2; exit 2 ;;
esac
export PROVISIONER_NAME="${PROVISIONER_NAME:-hr-smoke}"
export TABLE_NAME="${TABLE_NAME:-$PROVISIONER_NAME-vacations}"
P=target/release/provisioner

step() { printf '\n== %s\n' "$*"; }
expect() { # expect <pattern> <command...>: runs it, shows its output, fails without the pattern
  local pattern="$1"; shift
  local out
  out="$("$@" 2>&1)" || { echo "$out"; echo "FAILED: $*" >&2; exit 1; }
  echo "$out"
  grep -Eq -- "$pattern" <<<"$out" || { echo "EXPECTED /$pattern/ from: $*" >&2; exit 1; }
}

step "build"
scripts/package-lambda.sh
cargo build --release -p hr-provisioner -p hr-seeder

step "up ($platform)"
if [[ "$platform" == agentcore ]]; then
  expect 'Harness .*: (created|unchanged|updated)' $P up --platform agentcore --create-user-pool
else
  set +e; $P up; status=$?; set -e
  if [[ $status -eq 5 ]]; then
    echo "Agents Classic is closed to this account: run $0 agentcore"; exit 0
  fi
  [[ $status -eq 0 ]] || exit "$status"
fi

step "up again: nothing changes"
out="$($P up 2>&1)"; echo "$out"
if grep -Eq ': (created|updated|prepared \()' <<<"$out"; then echo "second up changed something" >&2; exit 1; fi

step "status"
expect 'No drift' $P status

step "seed"
target/release/seeder run --table "$TABLE_NAME" --employees 20 --current-year "$(date +%Y)"

as_employee=(--as 2)
as_other=(--as 3)
if [[ "$platform" == agentcore ]]; then
  step "trial users"
  expect 'User employee-2' $P user add 2
  expect 'User employee-3' $P user add 3
  expect 'in the hr group' $P user add 900 --hr
fi

step "talk"
expect '[0-9]+ .*days?' $P invoke "${as_employee[@]}" --trace "How many vacation days do I have left this year?"
expect '(booked|reserved|confirmed)' $P invoke "${as_employee[@]}" --yes --trace \
  "Book me $(date -d 'next monday +14 days' +%F) to $(date -d 'next monday +15 days' +%F)."
expect "(not allowed|only your own|cannot)" $P invoke "${as_other[@]}" --trace \
  "How many vacation days does employee 2 have left?"

step "audit"
expect 'OK' target/release/seeder audit --table "$TABLE_NAME"

if [[ "$keep" == --keep ]]; then
  echo "Kept. Remove it with: PROVISIONER_NAME=$PROVISIONER_NAME $P down --delete-table"
  exit 0
fi
step "down"
$P down --delete-table
step "down again: nothing left"
out="$($P down 2>&1)"; echo "$out"
if grep -q ': removed' <<<"$out"; then echo "second down removed something" >&2; exit 1; fi
echo "Smoke test on $platform passed."
