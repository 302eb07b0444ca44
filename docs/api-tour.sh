#!/usr/bin/env bash
# A tour of the credit API with curl and jq, against a fresh server:
#
#   VAPI_WEBHOOK_SECRET=tour-secret SERVICE_API_KEY=tour-service-key npm start   # in one terminal
#   bash docs/api-tour.sh http://127.0.0.1:3000                                  # in another
#
# It prints every command as you would type it, then what the server answered.
# docs/api-tour.md is this output; test/docs/api-tour.test.ts runs the script against a
# real server (SQLite and PostgreSQL) and fails when the answers differ from that page.
set -euo pipefail

B=${1:-${B:-http://127.0.0.1:3000}}
VAPI_SECRET=${VAPI_WEBHOOK_SECRET:-tour-secret}
SERVICE_KEY=${SERVICE_API_KEY:-tour-service-key}
EMAIL=${TOUR_EMAIL:-ada-$(date +%s)@example.com}

# Prints a command (variables as typed), runs it in this shell (so its assignments stay),
# and prints what it printed, ending with a line break.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
run() {
  printf '$ %s\n' "$1"
  eval "$1" >"$out"
  cat "$out"
  if [ -s "$out" ] && [ "$(tail -c1 "$out" | wc -l)" = 0 ]; then printf '\n'; fi
}
# Starts a step of the transcript with a comment.
first=1
say() {
  if [ "$first" = 0 ]; then printf '\n'; fi
  first=0
  printf '# %s\n' "$*"
}

say "Where the server is, and the secrets it was started with."
run "B=$B"
run "VAPI_SECRET=$VAPI_SECRET SERVICE_KEY=$SERVICE_KEY"
run "EMAIL=$EMAIL JSON='content-type: application/json'"

say "Sign up. The answer has the session token; keep it in T."
run 'REG=$(curl -s -X POST $B/api/auth/register -H "$JSON" -d "{\"email\":\"$EMAIL\",\"password\":\"correct-horse-battery\",\"name\":\"Ada\"}")'
run 'echo "$REG" | jq -c ".token |= .[0:16] + \"...\""'
run 'T=$(echo "$REG" | jq -r .token)'

say "A bad request says what is wrong with each field, in a sentence."
run 'curl -s -X POST $B/api/auth/register -H "$JSON" -d "{\"email\":\"ada@example\",\"password\":\"short\",\"name\":\"Ada\"}"'

say "New accounts start with no credits, so a metered operation is refused (402) and nothing is charged."
run 'curl -s $B/api/credits/balance -H "authorization: Bearer $T"'
run 'curl -s -X POST $B/api/messages -H "authorization: Bearer $T" -H "$JSON" -d "{\"to\":\"+15551234567\",\"body\":\"Hi\"}"'

say "Buy the Professional package (the simulated provider completes at once: 500 credits and a 50-credit bonus)."
run 'curl -s -X POST $B/api/credits/purchase -H "authorization: Bearer $T" -H "$JSON" -H "idempotency-key: buy-pro-1" -d "{\"packageId\":\"pkg_professional\"}"'

say "Send a message: 0.1 credits. The same Idempotency-Key and body again replay the first answer and charge nothing."
run 'curl -s -X POST $B/api/messages -H "authorization: Bearer $T" -H "$JSON" -H "idempotency-key: msg-1" -d "{\"to\":\"+15551234567\",\"body\":\"Hi\"}"'
run 'curl -si -X POST $B/api/messages -H "authorization: Bearer $T" -H "$JSON" -H "idempotency-key: msg-1" -d "{\"to\":\"+15551234567\",\"body\":\"Hi\"}" | tr -d "\r" | grep -i -e "^HTTP/" -e "^idempotent-replayed"'

say "Quantities are in the unit's base quantity: seconds for per_minute. A 90.5 s call at 0.5 per minute costs 0.755."
run 'curl -s -X POST $B/api/credits/estimate -H "authorization: Bearer $T" -H "$JSON" -d "{\"operation\":\"vapi_call\",\"unit\":\"per_minute\",\"quantity\":90.5}"'

say "Start a call of at most 300 s: 1 credit now, 2.5 credits (5 minutes) held. Keep its id in CID."
run 'CALL=$(curl -s -X POST $B/api/vapi/calls -H "authorization: Bearer $T" -H "$JSON" -d "{\"phoneNumber\":\"+15551234567\",\"maxDurationSeconds\":300}")'
run 'echo "$CALL"'
run 'CID=$(echo "$CALL" | jq -r .call.id)'

say "VAPI reports the end of the call (61 s): 0.509 credits are charged from the hold, the rest released."
run 'curl -s -X POST $B/api/vapi/webhook -H "x-vapi-secret: $VAPI_SECRET" -H "$JSON" -d "{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"id\":\"$CID\"},\"startedAt\":\"2026-11-28T10:00:00.000Z\",\"endedAt\":\"2026-11-28T10:01:01.000Z\"}}"'

say "Calls: listed, ended by hand, settled once. Without a VAPI key calls are simulated, so end settles at once for the durationSeconds sent."
run 'CALL=$(curl -s -X POST $B/api/vapi/calls -H "authorization: Bearer $T" -H "$JSON" -H "idempotency-key: call-2" -d "{\"phoneNumber\":\"+15551234567\",\"maxDurationSeconds\":300}")'
run 'CID=$(echo "$CALL" | jq -r .call.id)'
run 'curl -s "$B/api/vapi/calls?status=open" -H "authorization: Bearer $T"'
run 'curl -s -X POST $B/api/vapi/calls/$CID/end -H "authorization: Bearer $T" -H "$JSON" -d "{\"durationSeconds\":61}"'
say "Ending a settled call again: 200 with settled false, and nothing changes."
run 'curl -s -X POST $B/api/vapi/calls/$CID/end -H "authorization: Bearer $T" -H "$JSON" -d "{\"durationSeconds\":300}"'
run 'curl -s "$B/api/vapi/calls?status=open" -H "authorization: Bearer $T"'

say "Another backend meters its own feature with the service key: a 2-minute AI interview is 120 seconds, at 1 credit per minute."
run 'USER_ID=$(echo "$REG" | jq -r .user.id)'
run 'curl -s -X POST $B/api/usage -H "x-service-key: $SERVICE_KEY" -H "$JSON" -d "{\"userId\":\"$USER_ID\",\"operation\":\"ai_interview\",\"unit\":\"per_minute\",\"quantity\":120,\"idempotencyKey\":\"interview-1\"}" | jq -c "{usage: (.usage | {operation, unit, quantity, cost}), credits}"'

say "What is left, and the history (columns type to description of the CSV)."
run 'curl -s $B/api/credits/balance -H "authorization: Bearer $T"'
run 'curl -s $B/api/credits/transactions.csv -H "authorization: Bearer $T" | cut -d, -f3-7'
