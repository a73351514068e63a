#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed at /usr/bin/chromium for the portal's browser tests
# (playwright-core drives it; a browser downloaded by a test tool is never used). Idempotent.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium; then break; fi
  echo "ensure-chromium: apt-get failed (attempt $attempt), retrying" >&2
  sleep $((attempt * 5))
done
if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-chromium: /usr/bin/chromium is still missing" >&2
  exit 1
fi
/usr/bin/chromium --version
