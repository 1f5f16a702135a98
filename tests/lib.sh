# lib.sh - start and stop a private PostgreSQL, Apache with mod_fcgid and
# jobq runners on free loopback ports, for the integration tests and the
# demo.  Source it from bash; everything started is stopped by
# jq_cleanup, which jq_setup installs as the EXIT trap.
#
# Environment: top_builddir and top_srcdir (set by make check; default
# the folder above this file), JOBQ_KEEP_TMP=1 keeps the scratch folder.

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
JQ_RUNNER="$top_builddir/runner/jobq-runner"
JQ_FCGI="$top_builddir/fcgi-app/jobq.fcgi"
JQ_RUNNER_PIDS=()

jq_log() { echo "# $(date +%H:%M:%S.%N | cut -c1-12) $*" >&2; }
jq_fail() { jq_log "FAIL: $*"; exit 1; }

# The newest installed PostgreSQL server.
jq_pgbin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$d/postgres" ] || jq_fail "no PostgreSQL server: apt-get install postgresql"
	echo "$d"
}

# Run a command as the postgres user when we are root: PostgreSQL
# refuses to run as root.
jq_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

jq_setup() {
	JQ_TMP=$(mktemp -d /tmp/jobq-test.XXXXXX)
	# www-data and postgres must traverse it: the root checkout may not be.
	chmod 755 "$JQ_TMP"
	trap jq_cleanup EXIT
	trap 'exit 130' INT TERM
}

jq_cleanup() {
	local rc=$?
	set +e
	jq_runner_stop_all KILL
	jq_apache_stop
	jq_pg_stop
	if [ "$rc" != 0 ]; then
		jq_log "exit $rc; logs follow"
		for f in "$JQ_TMP"/[!i]*.log "$JQ_TMP"/web/logs/error.log \
		    "${JQ_PGDATA:-/nonexistent}/server.log"; do
			[ -f "$f" ] || continue
			echo "## $f" >&2
			tail -n 40 "$f" >&2
		done
	fi
	if [ "${JOBQ_KEEP_TMP:-0}" = 1 ]; then
		jq_log "kept $JQ_TMP"
	else
		rm -rf "$JQ_TMP"
	fi
	exit "$rc"
}

# jq_pg_start: a new cluster in $JQ_TMP/pg, database jobq, migrated.
jq_pg_start() {
	local bin; bin=$(jq_pgbin)
	JQ_PGDATA="$JQ_TMP/pg"
	mkdir -p "$JQ_PGDATA"
	[ "$(id -u)" = 0 ] && chown postgres: "$JQ_PGDATA"
	jq_as_pg "$bin/initdb" -D "$JQ_PGDATA" -A trust -U postgres \
	    -E UTF8 --locale=C.UTF-8 >"$JQ_TMP/initdb.log" 2>&1 ||
	    jq_fail "initdb failed"
	JQ_PGPORT=$("$top_builddir/tests/freeport")
	cat >>"$JQ_PGDATA/postgresql.conf" <<-CONF
	listen_addresses = '127.0.0.1'
	port = $JQ_PGPORT
	unix_socket_directories = ''
	max_connections = 200
	fsync = off
	CONF
	jq_pg_resume
	psql "host=127.0.0.1 port=$JQ_PGPORT dbname=postgres user=postgres" \
	    -X -q -c 'CREATE DATABASE jobq' || jq_fail "createdb failed"
	export JOBQ_DATABASE_URL="host=127.0.0.1 port=$JQ_PGPORT dbname=jobq user=postgres"
	"$JQ_RUNNER" --migrate >>"$JQ_TMP/migrate.log" 2>&1 ||
	    jq_fail "jobq-runner --migrate failed"
}

# Stop (fast) and start again the cluster made by jq_pg_start.
jq_pg_stop() {
	[ -n "${JQ_PGDATA:-}" ] && [ -f "$JQ_PGDATA/postmaster.pid" ] || return 0
	jq_as_pg "$(jq_pgbin)/pg_ctl" -D "$JQ_PGDATA" -m fast -w stop \
	    >>"$JQ_TMP/pg.log" 2>&1
}

jq_pg_resume() {
	jq_as_pg "$(jq_pgbin)/pg_ctl" -D "$JQ_PGDATA" -w -t 60 \
	    -l "$JQ_PGDATA/server.log" start >>"$JQ_TMP/pg.log" 2>&1 ||
	    jq_fail "PostgreSQL did not start"
}

# psql on the test database; prints unaligned tuples only.
jq_sql() {
	psql "$JOBQ_DATABASE_URL" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"
}

# jq_wait_sql SQL [seconds]: until SQL prints "t".
jq_wait_sql() {
	local i limit=$(( ${2:-30} * 10 ))
	for (( i = 0; i < limit; i++ )); do
		[ "$(jq_sql "$1" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}

# jq_apache_start [PROCS]: Apache with mod_fcgid serving /jobq.
jq_apache_start() {
	local i
	export JOBQ_WEB_ROOT="$JQ_TMP/web"
	export JOBQ_FCGID_PROCS="${1:-4}"
	export JOBQ_API_TOKEN="${JOBQ_API_TOKEN:-}"
	mkdir -p "$JOBQ_WEB_ROOT"/{run,logs,htdocs,bin}
	chmod 755 "$JOBQ_WEB_ROOT" "$JOBQ_WEB_ROOT/bin" "$JOBQ_WEB_ROOT/htdocs"
	echo ok >"$JOBQ_WEB_ROOT/htdocs/ping.txt"
	# A copy www-data can reach, whatever the checkout's permissions.
	cp "$JQ_FCGI" "$JOBQ_WEB_ROOT/bin/jobq.fcgi"
	chmod 755 "$JOBQ_WEB_ROOT/bin/jobq.fcgi"
	export JOBQ_FCGI_BIN="$JOBQ_WEB_ROOT/bin/jobq.fcgi"
	for i in 1 2 3 4 5; do
		JOBQ_WEB_PORT=$("$top_builddir/tests/freeport")
		export JOBQ_WEB_PORT
		apache2 -f "$top_srcdir/apache-conf/test-httpd.conf" \
		    -DFOREGROUND >>"$JQ_TMP/apache.log" 2>&1 &
		JQ_APACHE_PID=$!
		JQ_BASE="http://127.0.0.1:$JOBQ_WEB_PORT/jobq"
		jq_wait_http "http://127.0.0.1:$JOBQ_WEB_PORT/ping.txt" && return 0
		kill "$JQ_APACHE_PID" 2>/dev/null; wait "$JQ_APACHE_PID"
	done
	jq_fail "Apache did not start"
}

jq_apache_stop() {
	[ -n "${JQ_APACHE_PID:-}" ] || return 0
	kill -TERM "$JQ_APACHE_PID" 2>/dev/null
	wait "$JQ_APACHE_PID" 2>/dev/null
	JQ_APACHE_PID=
}

# jq_wait_http URL [PID]: until URL answers, while PID (default
# Apache's) lives.
jq_wait_http() {
	local i pid=${2:-$JQ_APACHE_PID}
	for i in $(seq 200); do
		curl -sf -o /dev/null --max-time 1 "$1" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# jq_runner_start [ARGS...]: a runner in the background, logging to
# $JQ_TMP/runner-N.log; its pid is appended to JQ_RUNNER_PIDS.
jq_runner_start() {
	local n=${#JQ_RUNNER_PIDS[@]}
	"$JQ_RUNNER" "$@" >>"$JQ_TMP/runner-$n.log" 2>&1 &
	JQ_RUNNER_PIDS+=($!)
	JQ_RUNNER_PID=$!
}

jq_runner_stop_all() {
	local p
	for p in "${JQ_RUNNER_PIDS[@]}"; do
		kill -"${1:-TERM}" "$p" 2>/dev/null
	done
	for p in "${JQ_RUNNER_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	JQ_RUNNER_PIDS=()
}

# jq_http METHOD PATH [curl args...]: prints the status code; the body is
# in $JQ_TMP/body and the headers in $JQ_TMP/headers.
jq_http() {
	local method=$1 path=$2
	shift 2
	curl -s -X "$method" -o "$JQ_TMP/body" -D "$JQ_TMP/headers" \
	    -w '%{http_code}' --max-time 30 "$@" "$JQ_BASE$path"
}

# jq_post_json PATH JSON: POST with the JSON content type.
jq_post_json() {
	jq_http POST "$1" -H 'Content-Type: application/json' \
	    --data-binary "$2"
}

# jq_expect WHAT GOT WANT
jq_expect() {
	[ "$2" = "$3" ] || jq_fail "$1: got \"$2\", want \"$3\""
	jq_log "ok: $1"
}

# jq_json_field FIELD: a top-level field of $JQ_TMP/body, as text.
jq_json_field() {
	jq -r --arg f "$1" '.[$f] | if . == null then "" else tostring end' \
	    "$JQ_TMP/body"
}
