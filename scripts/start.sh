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
    pages            http://127.0.0.1:$port/            (who the hub is for; English or Chinese)
      members        /sign-in, then /me, /me/pay (pay code), /me/membership
                     demo members +8613800000001 .. 04; the page shows the demo's code
      finance        /staff/sign-in with a finance token, then /finance (periods, statements,
                     four-eyes approval, payment file, revenue), /finance/liability
      operators      /staff/sign-in with an admin token, then /admin (partners, rules, audit),
                     /admin/tiers (tier ladder, paid plans), /admin/settings
      partners       /portal/sign-in with a portal user, then /portal (statements, keys,
                     webhooks and their deliveries)
    demo sign-ins (.data/demo-sign-ins.txt):
$(sed 's/^/      /' .data/demo-sign-ins.txt)
    readiness        http://127.0.0.1:$port/readyz
    API reference    http://127.0.0.1:$port/docs          (document: /openapi.json)
    hub public keys  http://127.0.0.1:$port/.well-known/jwks.json
    member sign-in   demo mode: codes for the demo members (+8613800000001 .. 04) land in
                     http://127.0.0.1:$port/v1/dev/member-outbox  (README: "The member API in the demo")
    operator         npm run staff -- create --name you --role admin   (then /v1/admin/*)
  Stop it with Ctrl-C; stop the databases with: npm run services:stop

TEXT
# Demo mode: sign-in codes land in the outbox that /v1/dev/member-outbox shows. The hub refuses
# it unless HOST is loopback, so this demo never shows codes to another machine.
# A small young generation keeps the process under 300 MB under load (BENCHMARKS.md).
HUB_DEMO=1 exec node --max-semi-space-size=4 "${env_args[@]}" main.ts all
