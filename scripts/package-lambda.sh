#!/usr/bin/env bash
# Builds the Lambda's `bootstrap` for the provided.al2023 runtime (x86_64) and zips it:
#
#   scripts/package-lambda.sh          # → target/lambda/bootstrap.zip, then tests it
#
# provided.al2023 has glibc 2.34, older than most build machines', so the binary is linked
# by zig against glibc 2.34 (cargo-zigbuild). Both tools come from PyPI into a project
# virtualenv (target/tools-venv), nothing is installed system-wide. The script fails when
# the binary needs a GLIBC_ symbol newer than 2.34, then runs the bootstrap process test
# (handler/tests/handler/bootstrap.rs) against the unzipped artifact and DynamoDB Local.
#
# Env: PYTHON                python for the virtualenv (default python3)
#      CARGO_TARGET_DIR      honoured, as cargo does (default target)
#      SKIP_ARTIFACT_TEST=1  build and check only (e.g. where Docker is missing)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO_ZIGBUILD_VERSION=0.24.1
ZIGLANG_VERSION=0.15.2
GLIBC_MAX=2.34
TARGET=x86_64-unknown-linux-gnu
VENV=target/tools-venv
OUT=target/lambda
PYTHON="${PYTHON:-python3}"

log() { echo "package-lambda: $*"; }
die() { echo "package-lambda: error: $*" >&2; exit 1; }

for tool in cargo objdump strip; do
  command -v "$tool" >/dev/null || die "$tool is required (objdump and strip come with binutils)"
done

# --- tools ------------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
installed() { "$VENV/bin/python" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p'; }
if [[ "$(installed cargo-zigbuild)" != "$CARGO_ZIGBUILD_VERSION" ||
  "$(installed ziglang)" != "$ZIGLANG_VERSION" ]]; then
  log "installing cargo-zigbuild $CARGO_ZIGBUILD_VERSION and ziglang $ZIGLANG_VERSION from PyPI"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" "ziglang==$ZIGLANG_VERSION"
fi
# cargo-zigbuild finds zig through `python3 -m ziglang` on PATH: the virtualenv's.
export PATH="$PWD/$VENV/bin:$PATH"

# --- build ------------------------------------------------------------------
log "cargo zigbuild --release -p hr-handler --bin bootstrap --target $TARGET.$GLIBC_MAX"
cargo zigbuild --locked --release -p hr-handler --bin bootstrap --target "$TARGET.$GLIBC_MAX"
built="${CARGO_TARGET_DIR:-target}/$TARGET/release/bootstrap"
[[ -x "$built" ]] || die "no binary at $built"

mkdir -p "$OUT"
staged="$OUT/bootstrap"
cp "$built" "$staged"
strip --strip-all "$staged"
chmod 0755 "$staged"

# --- glibc check ------------------------------------------------------------
highest="$(objdump -T "$staged" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)"
[[ -n "$highest" ]] || die "objdump found no GLIBC_ symbol versions in $staged"
if [[ "$(printf '%s\n%s\n' "$highest" "$GLIBC_MAX" | sort -V | tail -n1)" != "$GLIBC_MAX" ]]; then
  die "bootstrap needs GLIBC_$highest, newer than provided.al2023's $GLIBC_MAX"
fi
log "highest GLIBC_ symbol version: $highest (<= $GLIBC_MAX)"

# --- zip --------------------------------------------------------------------
zip_path="$OUT/bootstrap.zip"
rm -f "$zip_path"
# Python's zipfile, so the archive keeps the executable bit without needing `zip`.
"$VENV/bin/python" - "$staged" "$zip_path" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
info.external_attr = (0o100755 & 0xFFFF) << 16
info.compress_type = zipfile.ZIP_DEFLATED
with open(src, "rb") as f, zipfile.ZipFile(dst, "w") as z:
    z.writestr(info, f.read(), compresslevel=9)
PY
log "$zip_path: $(du -h "$zip_path" | cut -f1) (binary $(du -h "$staged" | cut -f1)), sha256 $(sha256sum "$zip_path" | cut -d' ' -f1)"

# --- test the artifact ------------------------------------------------------
if [[ "${SKIP_ARTIFACT_TEST:-0}" == 1 ]]; then
  log "SKIP_ARTIFACT_TEST=1: artifact not tested"
  exit 0
fi
check_dir="$(mktemp -d "${TMPDIR:-/tmp}/bootstrap-artifact.XXXXXX")"
trap 'rm -rf "$check_dir"' EXIT
"$VENV/bin/python" - "$zip_path" "$check_dir" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = z.namelist()
    assert names == ["bootstrap"], f"the zip must hold exactly bootstrap, not {names}"
    info = z.getinfo("bootstrap")
    assert (info.external_attr >> 16) & 0o111, "bootstrap is not executable in the zip"
    z.extract(info, sys.argv[2])
os.chmod(os.path.join(sys.argv[2], "bootstrap"), 0o755)
PY
log "testing the unzipped artifact: cargo test -p hr-handler --test handler bootstrap:: (BOOTSTRAP_BIN=$check_dir/bootstrap)"
BOOTSTRAP_BIN="$check_dir/bootstrap" cargo test --locked -p hr-handler --test handler bootstrap::
log "done: $zip_path"
