# it-cgi.sh - the same binary answers one request as a plain CGI program.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

cgi() {
	local method=$1 path=$2 body=$3
	env -i PATH="$PATH" JOBQ_DATABASE_URL="$JOBQ_DATABASE_URL" \
	    GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
	    REQUEST_METHOD="$method" SCRIPT_NAME=/cgi-bin/jobq.fcgi \
	    PATH_INFO="$path" CONTENT_TYPE=application/json \
	    CONTENT_LENGTH=${#body} "$JQ_FCGI" <<<"$body" >"$JQ_TMP/cgi.out"
}

cgi POST /jobs '{"kind":"echo","args":{"via":"cgi"}}' ||
    jq_fail "CGI run failed"
grep -q '^Status: 201' "$JQ_TMP/cgi.out" ||
    jq_fail "CGI POST: $(cat "$JQ_TMP/cgi.out")"
jq_log "ok: CGI POST answered 201"
jq_expect "CGI job stored" "$(jq_sql "SELECT count(*) FROM jobq.jobs
    WHERE args->>'via' = 'cgi'")" 1
id=$(jq_sql "SELECT id FROM jobq.jobs")
cgi GET "/jobs/$id" '' || jq_fail "CGI GET failed"
grep -q '^Status: 200' "$JQ_TMP/cgi.out" || jq_fail "CGI GET status"
grep -q '"via"' "$JQ_TMP/cgi.out" || jq_fail "CGI GET body"
jq_log "ok: CGI GET"

# The runner's --once works every due job and exits.
"$JQ_RUNNER" --once --workers 2 || jq_fail "--once failed"
jq_expect "--once completed the job" \
    "$(jq_sql "SELECT state FROM jobq.jobs WHERE id = $id")" completed
