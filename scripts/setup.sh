#!/usr/bin/env bash
# Installs what Evals needs beyond the .NET SDK, once; quick when everything is there.
# - PostgreSQL server binaries (initdb, pg_ctl): the app and the tests start private clusters with them.
# - Chromium and a CJK font, for the browser tests (Playwright drives /usr/bin/chromium; never a downloaded browser).
# - npm, which the build uses once to fetch ONNX Runtime's native library and Apache ECharts.
set -euo pipefail

have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need to install $* but not running as root; install them yourself (apt-get install $*)" >&2
    exit 1
  fi
  if [ -z "${EVALS_APT_UPDATED:-}" ]; then
    apt-get update -qq
    export EVALS_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! have_postgres; then
  echo "setup: installing PostgreSQL" >&2
  apt_install postgresql
fi
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || missing+=(fonts-wqy-microhei)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt_install "${missing[@]}"
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://dotnet.microsoft.com/download)" >&2
  exit 1
fi
# The local dotnet-ef tool, for developers who add migrations.
dotnet tool restore >/dev/null
