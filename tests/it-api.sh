# it-api.sh - every endpoint and field of docs/http-api.md, and every
# error class, through real Apache and mod_fcgid.
source "$top_srcdir/tests/lib.sh"
jq_setup
jq_pg_start
jq_apache_start 3

count() { jq_sql "SELECT count(*) FROM jobq.jobs $1"; }

# ---- POST /jobs: every field ----
code=$(jq_post_json /jobs '{"kind": "mail.send", "args": {"to": "a@b",
    "n": 0.1, "deep": [1, {"x": null}]}, "queue": "mail", "priority": -5,
    "max_attempts": 3, "timeout": 30}')
jq_expect "POST /jobs" "$code" 201
id=$(jq_json_field id)
grep -qi "^Location: /jobq/jobs/$id" "$JQ_TMP/headers" ||
    jq_fail "no Location header"
jq_expect "stored fields" "$(jq_sql "SELECT queue || kind || priority ||
    max_attempts || timeout || (args->>'n') || state
    FROM jobq.jobs WHERE id = $id")" "mailmail.send-53300.1available"
code=$(jq_post_json /jobs \
    '{"kind": "r", "run_at": "2030-01-02T03:04:05+02:00"}')
jq_expect "run_at with offset" "$code" 201
jq_expect "run_at stored in UTC" "$(jq_sql "SELECT run_at =
    '2030-01-02 01:04:05+00' FROM jobq.jobs WHERE id = $(jq_json_field id)")" t
code=$(jq_post_json /jobs '{"kind": "d", "delay": 3600}')
jq_expect "delay" "$code" 201
jq_expect "delay stored" "$(jq_sql "SELECT run_at > now() + interval '59 min'
    FROM jobq.jobs WHERE id = $(jq_json_field id)")" t

# ---- unique_key ----
code=$(jq_post_json /jobs '{"kind": "u", "unique_key": "k1", "args": {"v": 1}}')
jq_expect "unique: first" "$code" 201
uid=$(jq_json_field id)
code=$(jq_post_json /jobs '{"kind": "u", "unique_key": "k1", "args": {"v": 2},
    "priority": 9}')
jq_expect "unique: second" "$code" 200
jq_expect "unique: duplicate flag" "$(jq_json_field duplicate)" true
jq_expect "unique: same id" "$(jq_json_field id)" "$uid"
jq_expect "unique: holder unchanged" "$(jq_sql "SELECT (args->>'v') || priority
    FROM jobq.jobs WHERE id = $uid")" 10
code=$(jq_post_json /jobs '{"kind": "u", "unique_key": "k1", "queue": "other"}')
jq_expect "unique: key is per queue" "$code" 201
# Concurrent enqueues with one key create one job.
seq 1 20 | xargs -P 20 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    -H 'Content-Type: application/json' \
    --data-binary '{"kind": "u", "unique_key": "race"}' "$JQ_BASE/jobs" \
    >"$JQ_TMP/codes"
jq_expect "unique race: one 201" "$(grep -c '^201$' "$JQ_TMP/codes")" 1
jq_expect "unique race: 19 x 200" "$(grep -c '^200$' "$JQ_TMP/codes")" 19
jq_expect "unique race: one row" "$(count "WHERE unique_key = 'race'")" 1

# ---- cancel ----
code=$(jq_http POST "/jobs/$uid/cancel")
jq_expect "cancel available" "$code" 200
jq_expect "cancelled state" "$(jq_json_field state)" cancelled
code=$(jq_http POST "/jobs/$uid/cancel")
jq_expect "cancel finished" "$code" 409
jq_expect "cancel finished: code" "$(jq_json_field error)" conflict
code=$(jq_post_json /jobs '{"kind": "u", "unique_key": "k1"}')
jq_expect "unique: key free after cancel" "$code" 201
code=$(jq_http POST /jobs/987654/cancel)
jq_expect "cancel absent" "$code" 404
# A running job is only marked; its runner hears of it on jobq_cancel.
jq_post_json /jobs '{"kind": "long"}' >/dev/null
rid=$(jq_json_field id)
jq_sql "UPDATE jobq.jobs SET state = 'running', attempt = 1,
    started_at = now(), runner = 'r1' WHERE id = $rid"
{ echo "LISTEN jobq_cancel;"; sleep 2; echo "SELECT 1;"; } |
    psql "$JOBQ_DATABASE_URL" -X -q >"$JQ_TMP/listen" 2>&1 &
listener=$!
sleep 0.5
code=$(jq_http POST "/jobs/$rid/cancel")
jq_expect "cancel running" "$code" 202
jq_expect "running job stays running" "$(jq_json_field state)" running
[ -n "$(jq_json_field cancel_requested_at)" ] ||
    jq_fail "cancel_requested_at not set"
wait "$listener"
grep -q "\"jobq_cancel\" with payload \"$rid\"" "$JQ_TMP/listen" ||
    jq_fail "no jobq_cancel notification: $(cat "$JQ_TMP/listen")"
jq_log "ok: jobq_cancel notification"

# ---- retry ----
code=$(jq_http POST "/jobs/$uid/retry")
jq_expect "retry cancelled (key taken again)" "$code" 409
jq_expect "retry conflict code" "$(jq_json_field error)" conflict
jq_sql "UPDATE jobq.jobs SET state = 'failed', finished_at = now(),
    attempt = 3 WHERE id = $id"
code=$(jq_http POST "/jobs/$id/retry")
jq_expect "retry failed" "$code" 200
jq_expect "retried: available, attempt 0" \
    "$(jq_json_field state)/$(jq_json_field attempt)" available/0
code=$(jq_http POST "/jobs/$id/retry")
jq_expect "retry available" "$code" 409
code=$(jq_http POST /jobs/987654/retry)
jq_expect "retry absent" "$code" 404

# ---- batch ----
before=$(count)
code=$(jq_post_json /jobs/batch '{"jobs": [{"kind": "b1"},
    {"kind": "b2", "queue": "bq", "delay": 60},
    {"kind": "b3", "args": {"a": 1}}]}')
jq_expect "batch" "$code" 201
ids=$(jq_sql "SELECT string_agg(v, ',') FROM
    jsonb_array_elements_text('$(cat "$JQ_TMP/body")'::jsonb->'ids') v")
jq_expect "batch ids in order" "$(jq_sql "SELECT string_agg(kind, ',' ORDER BY
    array_position('{$ids}'::bigint[], id)) FROM jobq.jobs
    WHERE id IN ($ids)")" b1,b2,b3
code=$(jq_post_json /jobs/batch '{"jobs": [{"kind": "ok"}, {"kind": "ok"},
    {"kind": "bad", "priority": "high"}]}')
jq_expect "batch with a bad job" "$code" 400
grep -q 'jobs\[2\]' "$JQ_TMP/body" || jq_fail "no index: $(cat "$JQ_TMP/body")"
code=$(jq_post_json /jobs/batch '{"jobs": [{"kind": "ok"},
    {"kind": "x", "run_at": "2030-02-30T00:00:00Z"}]}')
jq_expect "batch refused by PostgreSQL" "$code" 400
code=$(jq_post_json /jobs/batch '{"jobs": [{"kind": "ok", "unique_key": "a"}]}')
jq_expect "batch with unique_key" "$code" 400
code=$(jq_post_json /jobs/batch '{"jobs": []}')
jq_expect "empty batch" "$code" 400
jq_expect "failed batches stored nothing" "$(count)" $((before + 3))
big=$(printf '{"kind":"n"},%.0s' $(seq 1 1000))
code=$(jq_post_json /jobs/batch "{\"jobs\": [${big%,}]}")
jq_expect "batch of 1000" "$code" 201
code=$(jq_post_json /jobs/batch "{\"jobs\": [${big}{\"kind\":\"n\"}]}")
jq_expect "batch of 1001" "$code" 400
jq_expect "1000 stored" "$(count "WHERE kind = 'n'")" 1000

# ---- GET /jobs/{id}, GET /jobs ----
code=$(jq_http GET "/jobs/$id")
jq_expect "GET job" "$code" 200
jq_expect "GET job kind" "$(jq_json_field kind)" mail.send
# Walk all pages of the "n" jobs 300 at a time.
after=0 seen=0 pages=0
while [ -n "$after" ]; do
	code=$(jq_http GET "/jobs?kind=n&state=available&queue=default$(
	    )&limit=300&after=$after")
	jq_expect "list page $pages" "$code" 200
	seen=$((seen + $(jq_sql "SELECT jsonb_array_length(
	    '$(cat "$JQ_TMP/body")'::jsonb->'jobs')")))
	after=$(jq_json_field next)
	pages=$((pages + 1))
done
jq_expect "pagination saw every job" "$seen/$pages" 1000/4
code=$(jq_http GET '/jobs?queue=mail')
jq_expect "filter by queue" "$(jq_sql "SELECT jsonb_array_length(
    '$(cat "$JQ_TMP/body")'::jsonb->'jobs')")" 1
for q in 'state=bogus' 'limit=0' 'limit=1001' 'after=-1' 'queue=a%20b' \
    'kind=' 'limit=1&limit=2' 'colour=red' 'queue=%zz'; do
	code=$(jq_http GET "/jobs?$q")
	jq_expect "bad query $q" "$code" 400
done

# ---- /queues, /metrics, /health ----
code=$(jq_http GET /queues)
jq_expect "GET /queues" "$code" 200
jq_expect "queues: default available" "$(jq_sql "SELECT
    q->'counts'->>'available'
    FROM jsonb_array_elements('$(cat "$JQ_TMP/body")'::jsonb->'queues') q
    WHERE q->>'name' = 'default'")" \
    "$(count "WHERE queue = 'default' AND state = 'available'")"
jq_sql "SELECT jobq.pause('bq')" >/dev/null
code=$(jq_http GET /queues)
jq_expect "queues: paused and scheduled" "$(jq_sql "SELECT (q->>'paused') ||
    (q->>'scheduled') || coalesce(q->>'oldest_available_age_seconds', '-')
    FROM jsonb_array_elements('$(cat "$JQ_TMP/body")'::jsonb->'queues') q
    WHERE q->>'name' = 'bq'")" true1-
code=$(jq_http GET /metrics)
jq_expect "GET /metrics" "$code" 200
grep -qi '^Content-Type: text/plain; version=0.0.4' "$JQ_TMP/headers" ||
    jq_fail "metrics content type"
grep -qx "jobq_jobs{queue=\"default\",state=\"available\"} $(count \
    "WHERE queue = 'default' AND state = 'available'")" "$JQ_TMP/body" ||
    jq_fail "jobq_jobs wrong: $(head -5 "$JQ_TMP/body")"
grep -qx "jobq_enqueued_total $(jq_sql "SELECT max(id) FROM jobq.jobs")" \
    "$JQ_TMP/body" || jq_fail "jobq_enqueued_total wrong"
grep -q '^jobq_oldest_available_age_seconds{queue="default"} [0-9.]*$' \
    "$JQ_TMP/body" || jq_fail "no oldest age"
grep -q '^jobq_http_requests_total{pid="[0-9]*",code="201"} [0-9]*$' \
    "$JQ_TMP/body" || jq_log "note: this process served no 201 yet"
jq_log "ok: metrics"
code=$(jq_http GET /health)
jq_expect "GET /health" "$code" 200

# ---- every error class ----
nrows=$(count)
# bad STATUS CODE BODY [curl args...]: POST BODY to /jobs.
bad() {
	local want=$1 ecode=$2 body=$3 got
	shift 3
	got=$(jq_http POST /jobs -H 'Content-Type: application/json' \
	    --data-binary "$body" "$@")
	jq_expect "$ecode: status" "$got" "$want"
	jq_expect "$ecode: code" "$(jq_json_field error)" "$ecode"
	[ -n "$(jq_json_field message)" ] || jq_fail "$ecode: no message"
}
bad 400 invalid_json $'{"kind":\n "x",, }'
grep -q 'line 2, column' "$JQ_TMP/body" || jq_fail "no line/column"
bad 400 invalid_field '{"kind": "x", "priority": "1"}'
bad 400 unknown_field '{"kind": "x", "color": 1}'
bad 400 missing_field '{"args": {}}'
bad 400 nul_in_string '{"kind": "x", "args": {"s": "a\u0000b"}}'
bad 400 invalid_utf8 "$(printf '{"kind": "x", "args": {"s": "\xc3\x28"}}')"
deep=$(printf '[%.0s' $(seq 1 40))$(printf ']%.0s' $(seq 1 40))
bad 400 too_deep "{\"kind\": \"x\", \"args\": {\"a\": $deep}}"
{ printf '{"kind": "x", "args": {"a": "'; head -c 300000 /dev/zero |
    tr '\0' a; printf '"}}'; } >"$JQ_TMP/bigargs"
bad 400 invalid_field "@$JQ_TMP/bigargs"
head -c 1048577 /dev/zero | tr '\0' ' ' >"$JQ_TMP/over"
bad 413 body_too_large "@$JQ_TMP/over"
head -c 9000000 /dev/zero | tr '\0' ' ' >"$JQ_TMP/huge"
bad 413 body_too_large "@$JQ_TMP/huge"
grep -qi '^Content-Type: application/json' "$JQ_TMP/headers" ||
    jq_fail "413 from Apache is not JSON"
bad 411 length_required '{"kind": "x"}' -H 'Transfer-Encoding: chunked'
bad 415 unsupported_media_type '{"kind": "x"}' -H 'Content-Type: text/plain'
bad 415 unsupported_media_type '{"kind": "x"}' \
    -H 'Content-Type: application/json; charset=latin1'
# A Content-Length that lies (more announced than sent) costs only that
# request: Apache gives up on the body, the app never stores it.
exec 3<>"/dev/tcp/127.0.0.1/$JOBQ_WEB_PORT"
printf '%s\r\n' 'POST /jobq/jobs HTTP/1.1' 'Host: x' \
    'Content-Type: application/json' 'Content-Length: 1000' '' >&3
printf '{"kind":"lie"}' >&3
exec 3>&-
code=$(jq_http GET /nowhere)
jq_expect "404" "$code" 404
jq_expect "404 code" "$(jq_json_field error)" not_found
code=$(jq_http GET /jobs/1x)
jq_expect "bad id" "$code" 404
code=$(jq_http DELETE "/jobs/$id")
jq_expect "405" "$code" 405
jq_expect "405 code" "$(jq_json_field error)" method_not_allowed
grep -qi '^Allow: GET, HEAD' "$JQ_TMP/headers" || jq_fail "405 without Allow"
code=$(curl -s -I -o "$JQ_TMP/body" -w '%{http_code}' "$JQ_BASE/jobs/$id")
jq_expect "HEAD /jobs/{id}" "$code" 200
grep -qi '^Content-Length: [1-9]' "$JQ_TMP/body" ||
    jq_fail "HEAD without the GET's Content-Length"
grep -q '"kind"' "$JQ_TMP/body" && jq_fail "HEAD sent a body"
code=$(jq_http GET /jobs/batch)
jq_expect "GET /jobs/batch" "$code" 405
grep -qi '^Allow: POST' "$JQ_TMP/headers" || jq_fail "batch 405 Allow"
jq_expect "errors stored nothing" "$(count)" "$nrows"
jq_expect "no lie stored" "$(count "WHERE kind = 'lie'")" 0

# ---- log lines cannot be forged ----
jq_http GET '/jobs/1%0aFORGED%0d%0a2026-01-01T00:00:00Z%20jobq.fcgi' >/dev/null
jq_http GET '/x%1b%5b31m%08%7f%c3' >/dev/null
sleep 0.3
log="$JOBQ_WEB_ROOT/logs/error.log"
grep -q '^FORGED\|^2026-01-01' "$log" && jq_fail "forged log line"
grep -q 'GET /jobs/1\\x0aFORGED\\x0d\\x0a2026' "$log" ||
    jq_fail "escaped path not logged"
grep -q $'\x1b' "$log" && jq_fail "raw escape character in the log"
grep -q 'req=[0-9]*-[0-9]*: POST /jobs 201 job=[0-9]* [0-9.]*ms' "$log" ||
    jq_fail "request line format"
jq_log "ok: log lines escaped"

# ---- bearer token ----
jq_apache_stop
export JOBQ_API_TOKEN=s3cret-token
jq_apache_start 1
code=$(jq_http GET /queues)
jq_expect "no token" "$code" 401
jq_expect "no token code" "$(jq_json_field error)" unauthorized
grep -qi '^WWW-Authenticate: Bearer' "$JQ_TMP/headers" ||
    jq_fail "401 without WWW-Authenticate"
code=$(jq_http GET /queues -H 'Authorization: Bearer s3cret-tokeN')
jq_expect "wrong token" "$code" 401
code=$(jq_http GET /queues -H 'Authorization: Bearer s3cret-token-longer')
jq_expect "longer token" "$code" 401
code=$(jq_http GET /queues -H 'Authorization: Basic czNjcmV0LXRva2Vu')
jq_expect "Basic instead of Bearer" "$code" 401
code=$(jq_post_json /jobs '{"kind": "authz"}')
jq_expect "POST without token" "$code" 401
jq_expect "nothing stored without token" "$(count "WHERE kind = 'authz'")" 0
code=$(jq_http GET /nowhere)
jq_expect "unknown path without token" "$code" 401
code=$(jq_http GET /queues -H 'Authorization: Bearer s3cret-token')
jq_expect "right token" "$code" 200
code=$(jq_http POST /jobs -H 'Content-Type: application/json' \
    --data-binary '{"kind": "authz"}' -H 'Authorization: bearer s3cret-token')
jq_expect "POST with token" "$code" 201
code=$(jq_http GET /health)
jq_expect "health is open" "$code" 200
jq_expect "one authz job" "$(count "WHERE kind = 'authz'")" 1

# ---- the app's own length checks, where no web server intervenes ----
# cgi STATUS CODE [env...]: jobq.fcgi as plain CGI, body from $JQ_TMP/in.
cgi() {
	local want=$1 ecode=$2
	shift 2
	env JOBQ_API_TOKEN= REQUEST_METHOD=POST PATH_INFO=/jobs \
	    CONTENT_TYPE=application/json \
	    "$@" "$JQ_FCGI" <"$JQ_TMP/in" >"$JQ_TMP/out" 2>/dev/null
	jq_expect "CGI $ecode" "$(sed -n '1s/^Status: \([0-9]*\).*/\1/p' \
	    "$JQ_TMP/out")" "$want"
	grep -q "\"error\":\"$ecode\"" "$JQ_TMP/out" ||
	    jq_fail "CGI $ecode body"
}
printf '{"kind": "cgi"}' >"$JQ_TMP/in"
cgi 411 length_required
cgi 400 incomplete_body CONTENT_LENGTH=100
cgi 413 body_too_large CONTENT_LENGTH=1048577
cgi 413 body_too_large CONTENT_LENGTH=99999999999999999999999
cgi 400 invalid_field CONTENT_LENGTH=-1
jq_expect "CGI errors stored nothing" "$(count "WHERE kind = 'cgi'")" 0

# ---- a stalled client costs its own request only ----
# With a single jobq.fcgi process: mod_fcgid buffers the body, so the
# stalled client never holds the process.
auth=(-H 'Authorization: Bearer s3cret-token')
exec 4<>"/dev/tcp/127.0.0.1/$JOBQ_WEB_PORT"
printf '%s\r\n' 'POST /jobq/jobs HTTP/1.1' 'Host: x' \
    'Authorization: Bearer s3cret-token' 'Content-Type: application/json' \
    'Content-Length: 1000' '' >&4
printf '{"kind":"s' >&4
sleep 0.5
for i in 1 2 3 4 5; do
	code=$(jq_http POST /jobs "${auth[@]}" \
	    -H 'Content-Type: application/json' \
	    --data-binary '{"kind": "during.stall"}')
	[ "$code" = 201 ] || jq_fail "request $i during the stall: $code"
done
jq_log "ok: one process serves on while a client stalls"
exec 4>&-
code=$(jq_http GET /queues "${auth[@]}")
jq_expect "served after the stalled client left" "$code" 200
jq_expect "stalled body not stored" "$(count "WHERE kind LIKE 's%'")" 0
jq_expect "one process served all" "$(grep 'POST /jobs 201' "$log" |
    tail -5 | sed 's/.*jobq.fcgi\[\([0-9]*\)\].*/\1/' | sort -u | wc -l)" 1

# ---- database outage: 503 with Retry-After ----
jq_pg_stop
code=$(jq_http GET /queues -H 'Authorization: Bearer s3cret-token')
jq_expect "outage" "$code" 503
jq_expect "outage code" "$(jq_json_field error)" database_unavailable
grep -qi '^Retry-After: 5' "$JQ_TMP/headers" || jq_fail "no Retry-After"
jq_pg_resume
code=$(jq_http GET /queues -H 'Authorization: Bearer s3cret-token')
jq_expect "after outage" "$code" 200
jq_expect "no crash" \
    "$(grep -c 'signal\|End of script output\|premature' "$log")" 0
