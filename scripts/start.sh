#!/usr/bin/env bash
# npm start: everything a newcomer needs, from a fresh clone to a running demo hub.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/services.sh up
env_args=(--env-file-if-exists=.data/services.env)
node "${env_args[@]}" scripts/migrate.ts up
node "${env_args[@]}" scripts/seed.ts
port="${PORT:-3000}"
cat <<TEXT

  Alliance hub starting on http://127.0.0.1:$port
    readiness      http://127.0.0.1:$port/readyz
    API document   http://127.0.0.1:$port/openapi.json
  Stop it with Ctrl-C; stop the databases with: npm run services:stop

TEXT
exec node "${env_args[@]}" main.ts all
