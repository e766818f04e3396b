#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine with Node 20: installs what the tests need, builds,
# type-checks and runs every package's tests. Servers the tests need are started by the tests
# themselves on 127.0.0.1 and stopped when they end.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Redis tests start their own redis-server processes (standalone, cluster, sentinel) from the PATH.
if ! command -v redis-server >/dev/null 2>&1; then
  sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  sudo_if_needed apt-get update
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server
  # Debian starts a system-wide server on 6379; the tests use their own ports and do not need it.
fi

# The S3 tests run s3rver, an npm devDependency: `npm ci` installs it.
# The Azure Blob tests run azurite (blob service, in memory), an npm devDependency too.
npm ci
npm run build
npm run typecheck
# What npm users get: publint and attw on each public package, and its types without @types/node.
bash scripts/check-packages.sh
bash scripts/check-types-without-node.sh
# The habits: typed lint rules (they read the built .d.ts of sibling packages, so after the build), one
# format, and no import cycle in any package's src.
npm run lint
npm run format:check
npm run cycles
npx jest --ci
