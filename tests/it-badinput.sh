# it-badinput.sh - every kind of bad request gets its status and error
# code through real Apache, stores nothing, and the process lives on.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start
jq_apache_start 2

# bad NAME STATUS CODE BODY [curl args...]: POST BODY to /jobs.
bad() {
	local name=$1 want=$2 code=$3 body=$4 got
	shift 4
	got=$(jq_http POST /jobs -H 'Content-Type: application/json' \
	    --data-binary "$body" "$@")
	jq_expect "$name: status" "$got" "$want"
	jq_expect "$name: error code" "$(jq_json_field error)" "$code"
	[ -n "$(jq_json_field message)" ] || jq_fail "$name: no message"
}

bad "malformed JSON" 400 invalid_json '{"kind": "noop",'
grep -q 'line' "$JQ_TMP/body" || jq_fail "no line number: $(cat "$JQ_TMP/body")"
bad "not an object" 400 invalid_field '[1, 2]'
bad "kind wrong type" 400 invalid_field '{"kind": 5}'
bad "args wrong type" 400 invalid_field '{"kind": "noop", "args": [1]}'
bad "priority wrong type" 400 invalid_field \
    '{"kind": "noop", "priority": "high"}'
bad "priority out of range" 400 invalid_field \
    '{"kind": "noop", "priority": 100000}'
bad "max_attempts zero" 400 invalid_field \
    '{"kind": "noop", "max_attempts": 0}'
bad "bad run_at" 400 invalid_field \
    '{"kind": "noop", "run_at": "tomorrow"}'
bad "impossible run_at" 400 invalid_field \
    '{"kind": "noop", "run_at": "2026-13-45T10:00:00Z"}'
bad "bad kind pattern" 400 invalid_field '{"kind": "no spaces; please"}'
bad "unknown field" 400 unknown_field '{"kind": "noop", "colour": "red"}'
bad "missing kind" 400 missing_field '{"args": {}}'
bad "NUL in string" 400 nul_in_string '{"kind": "no\u0000op"}'
bad "invalid UTF-8" 400 invalid_utf8 "$(printf '{"kind": "noop", "args": {"s": "\xff\xfe"}}')"
deep=$(printf '{"a":%.0s' $(seq 1 100))1$(printf '}%.0s' $(seq 1 100))
bad "too deep" 400 too_deep "{\"kind\": \"noop\", \"args\": $deep}"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$JQ_TMP/huge"
bad "huge body" 413 body_too_large "@$JQ_TMP/huge"

code=$(jq_http POST /jobs -H 'Content-Type: text/plain' \
    --data-binary '{"kind": "noop"}')
jq_expect "not JSON: status" "$code" 415
jq_expect "not JSON: code" "$(jq_json_field error)" unsupported_media_type

code=$(jq_http POST /jobs -H 'Content-Type: application/json')
case "$code" in
400|411) jq_log "ok: missing body: $code" ;;
*) jq_fail "missing body: got $code" ;;
esac

code=$(jq_http GET /nowhere)
jq_expect "unknown route" "$code" 404
jq_expect "unknown route code" "$(jq_json_field error)" not_found
code=$(jq_http DELETE /jobs)
jq_expect "wrong method" "$code" 405
grep -qi '^Allow:.*POST' "$JQ_TMP/headers" || jq_fail "405 without Allow"
code=$(jq_http GET /jobs/abc)
jq_expect "non-numeric id" "$code" 404
code=$(jq_http GET /jobs/99999999999999999999999)
jq_expect "overflowing id" "$code" 404
code=$(jq_http GET /jobs/424242)
jq_expect "absent job" "$code" 404

jq_expect "nothing stored" "$(jq_sql "SELECT count(*) FROM jobq.jobs")" 0
code=$(jq_http GET /health)
jq_expect "still healthy" "$code" 200
jq_expect "no crash in the app" \
    "$(grep -c 'signal\|End of script output' "$JOBQ_WEB_ROOT/logs/error.log")" 0

# A database outage is a 503 with Retry-After, never a 2xx, and the same
# processes answer 201 again once PostgreSQL is back.
jq_pg_stop
code=$(jq_post_json /jobs '{"kind": "noop"}')
jq_expect "outage: POST" "$code" 503
jq_expect "outage: code" "$(jq_json_field error)" database_unavailable
grep -qi '^Retry-After:' "$JQ_TMP/headers" || jq_fail "503 without Retry-After"
code=$(jq_http GET /health)
jq_expect "outage: health" "$code" 503
jq_pg_resume
code=$(jq_post_json /jobs '{"kind": "noop"}')
jq_expect "after outage: POST" "$code" 201
jq_expect "one row after outage" \
    "$(jq_sql "SELECT count(*) FROM jobq.jobs")" 1

# A database that accepts connections but never answers (its postmaster
# stopped with SIGSTOP): the request that connects waits connect_timeout
# and gets 503; the next ones get 503 at once rather than tying up the
# web server as long again, until Retry-After has passed.
jq_apache_stop
export JOBQ_DATABASE_URL="$JOBQ_DATABASE_URL connect_timeout=2"
jq_apache_start 1
pm=$(head -n 1 "$JQ_PGDATA/postmaster.pid")
kill -STOP "$pm"
codes=
for i in 1 2 3; do
	codes="$codes $(jq_post_json /jobs '{"kind": "noop"}')"
done
kill -CONT "$pm"
jq_expect "hung database: statuses" "$codes" " 503 503 503"
grep -q 'not retrying' "$JOBQ_WEB_ROOT/logs/error.log" ||
    jq_fail "no hold-off after a connection timeout"
jq_log "ok: no new connection attempt right after a timeout"
for i in $(seq 30); do
	code=$(jq_post_json /jobs '{"kind": "noop"}')
	[ "$code" = 201 ] && break
	sleep 0.5
done
jq_expect "answering database again: POST" "$code" 201
