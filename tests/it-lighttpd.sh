# it-lighttpd.sh - jobq.fcgi behind lighttpd's mod_fastcgi: routing under
# /jobq, the app's own 413, an enqueue worked by `jobq-runner --once`,
# and the examples/checksum exec handler on the way.
set -u
. "$top_srcdir/tests/lib.sh"

command -v lighttpd >/dev/null ||
    jq_fail "lighttpd not installed: sh scripts/deps.sh"
command -v jq >/dev/null || jq_fail "jq not installed: sh scripts/deps.sh"

# jq_lighttpd_start [PROCS]: lighttpd in the foreground, as our child,
# serving /jobq from apache-conf/test-lighttpd.conf.
jq_lighttpd_start() {
	local i root="$JQ_TMP/lighttpd"
	export JOBQ_WEB_ROOT="$root"
	export JOBQ_FCGID_PROCS="${1:-2}"
	export JOBQ_API_TOKEN="${JOBQ_API_TOKEN:-}"
	mkdir -p "$root"/{run,logs,htdocs,bin}
	chmod 755 "$root" "$root/bin" "$root/htdocs"
	# lighttpd opens these after it dropped root.
	chown www-data: "$root/run" "$root/logs"
	echo ok >"$root/htdocs/ping.txt"
	cp "$JQ_FCGI" "$root/bin/jobq.fcgi"
	chmod 755 "$root/bin/jobq.fcgi"
	export JOBQ_FCGI_BIN="$root/bin/jobq.fcgi"
	for i in 1 2 3 4 5; do
		JOBQ_WEB_PORT=$("$top_builddir/tests/freeport")
		export JOBQ_WEB_PORT
		lighttpd -D -f "$top_srcdir/apache-conf/test-lighttpd.conf" \
		    >>"$JQ_TMP/lighttpd.log" 2>&1 &
		JQ_LIGHTTPD_PID=$!
		JQ_BASE="http://127.0.0.1:$JOBQ_WEB_PORT/jobq"
		jq_wait_http "http://127.0.0.1:$JOBQ_WEB_PORT/ping.txt" \
		    "$JQ_LIGHTTPD_PID" && return 0
		jq_lighttpd_stop
	done
	jq_fail "lighttpd did not start"
}

# SIGINT is lighttpd's graceful stop: it waits for its FastCGI children.
jq_lighttpd_stop() {
	[ -n "${JQ_LIGHTTPD_PID:-}" ] || return 0
	kill -INT "$JQ_LIGHTTPD_PID" 2>/dev/null
	wait "$JQ_LIGHTTPD_PID" 2>/dev/null
	JQ_LIGHTTPD_PID=
}

# Stop lighttpd, show its log on failure, then the usual cleanup with the
# test's exit status.
it_cleanup() {
	local rc=$?
	set +e
	jq_lighttpd_stop
	if [ "$rc" != 0 ] && [ -f "$JQ_TMP/lighttpd/logs/error.log" ]; then
		echo "## lighttpd error.log" >&2
		tail -n 40 "$JQ_TMP/lighttpd/logs/error.log" >&2
	fi
	(exit "$rc")
	jq_cleanup
}

jq_setup
trap it_cleanup EXIT
jq_pg_start
jq_lighttpd_start 2

# ---- routing under the /jobq prefix ----
jq_expect "GET /health" "$(jq_http GET /health)" 200
jq_expect "unknown path" "$(jq_http GET /nowhere)" 404
jq_expect "error body is JSON" \
    "$(jq -r 'has("error")' "$JQ_TMP/body")" true

# ---- the app, not lighttpd, refuses a body over JOBQ_MAX_BODY ----
head -c 1100000 /dev/zero | tr '\0' ' ' >"$JQ_TMP/big.json"
jq_expect "oversized body" "$(jq_http POST /jobs \
    -H 'Content-Type: application/json' \
    --data-binary @"$JQ_TMP/big.json")" 413
jq_expect "413 from jobq.fcgi" \
    "$(jq -r 'has("error")' "$JQ_TMP/body")" true

# ---- enqueue through lighttpd, work it with --once ----
jq_expect "POST /jobs echo" "$(jq_post_json /jobs \
    '{"kind":"echo","args":{"via":"lighttpd"}}')" 201
echo_id=$(jq -r .id "$JQ_TMP/body")
jq_expect "new job state" "$(jq -r .state "$JQ_TMP/body")" available

# The checksum handler, on a file it must hash and compress.
datadir="$JQ_TMP/data"
mkdir -p "$datadir"
cp "$top_srcdir/examples/checksum" "$datadir/input"
want=$(sha1sum <"$datadir/input")
want=${want%% *}
bytes=$(stat -c %s "$datadir/input")
cat >"$JQ_TMP/runner.ini" <<-INI
[runner]
workers = 2

[kind.checksum]
exec = $top_srcdir/examples/checksum
timeout = 30
INI
jq_expect "POST /jobs checksum" "$(jq_post_json /jobs "$(jq -cn \
    --arg p "$datadir/input" \
    '{kind: "checksum", args: {path: $p, algorithm: "sha1",
      compress: true}}')")" 201
sum_id=$(jq -r .id "$JQ_TMP/body")
jq_expect "POST /jobs checksum, bad algorithm" "$(jq_post_json /jobs \
    "$(jq -cn --arg p "$datadir/input" \
    '{kind: "checksum", args: {path: $p, algorithm: "crc"},
      max_attempts: 3}')")" 201
bad_id=$(jq -r .id "$JQ_TMP/body")

"$JQ_RUNNER" -c "$JQ_TMP/runner.ini" --once >>"$JQ_TMP/runner-once.log" \
    2>&1 || jq_fail "jobq-runner --once failed"

jq_expect "GET /jobs/$echo_id" "$(jq_http GET "/jobs/$echo_id")" 200
jq_expect "echo completed (HTTP)" "$(jq -r .state "$JQ_TMP/body")" completed
jq_expect "echo completed (SQL)" \
    "$(jq_sql "SELECT state FROM jobq.jobs WHERE id = $echo_id")" completed
jq_expect "echo result" \
    "$(jq_sql "SELECT result->>'via' FROM jobq.jobs WHERE id = $echo_id")" \
    lighttpd

jq_expect "GET /jobs/$sum_id" "$(jq_http GET "/jobs/$sum_id")" 200
jq_expect "checksum completed" "$(jq -r .state "$JQ_TMP/body")" completed
jq_expect "checksum digest" "$(jq -r .result.digest "$JQ_TMP/body")" "$want"
jq_expect "checksum bytes" "$(jq -r .result.bytes "$JQ_TMP/body")" "$bytes"
jq_expect "checksum gzip" "$(gzip -dc "$datadir/input.gz" | sha1sum |
    cut -d' ' -f1)" "$want"
jq_expect "checksum gzip_bytes" "$(jq -r .result.gzip_bytes "$JQ_TMP/body")" \
    "$(stat -c %s "$datadir/input.gz")"

# Exit 65: failed at the first attempt although two more were allowed.
jq_expect "bad algorithm failed at once" "$(jq_sql "SELECT state || ' ' ||
    attempt || ' ' || (errors->0->>'error' LIKE '%unknown algorithm%')
    FROM jobq.jobs WHERE id = $bad_id")" "failed 1 true"

# lighttpd is still serving after all that.
jq_expect "GET /health again" "$(jq_http GET /health)" 200
