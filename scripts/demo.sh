#!/bin/sh
# SPDX-License-Identifier: ISC
# demo.sh - jobq on one machine, from this checkout, in one command: the
# packages, a build in ./build, a private PostgreSQL on 127.0.0.1:55433,
# Apache with mod_fcgid on http://127.0.0.1:8080/jobq, a runner, and a
# few demo jobs posted through HTTP and shown with psql.
#
# usage: sh scripts/demo.sh [start | stop | status | clean]
#	start	(the default) stop what an earlier start left running, then
#		build and start everything and run the demo jobs
#	stop	stop the runner, Apache and PostgreSQL; keep the data
#	status	what is running, and the jobs by state
#	clean	stop, then remove the demo's data
#
# Run as root on Debian 12.  PostgreSQL runs as the postgres user and
# jobq.fcgi as www-data; the runner runs as root.  Everything lives in
# .demo/ (pid files, logs, the cluster), or, when postgres or www-data
# cannot reach the checkout (say, under /root), in /var/tmp/jobq-demo-N
# with symbolic links from .demo/.
#
# Environment: JOBQ_BUILD_DIR (default ./build), JOBQ_DEMO_PG_PORT
# (55433), JOBQ_DEMO_WEB_PORT (8080).
set -eu

cd "$(dirname "$0")/.."
TOP=$(pwd)
DEMO=$TOP/.demo
BUILD=${JOBQ_BUILD_DIR:-$TOP/build}
PG_PORT=${JOBQ_DEMO_PG_PORT:-55433}
WEB_PORT=${JOBQ_DEMO_WEB_PORT:-8080}
# One folder per checkout, so that cleaning one demo never touches
# another's data.
FALLBACK=/var/tmp/jobq-demo-$(printf '%s' "$TOP" | cksum | cut -d' ' -f1)
DBURL="host=127.0.0.1 port=$PG_PORT dbname=jobq user=postgres"
API="http://127.0.0.1:$WEB_PORT/jobq"

say() { printf '==> %s\n' "$*"; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

pgbin() {
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/postgres" ] ||
	    die "no PostgreSQL server: sh scripts/deps.sh"
	echo "$d"
}

# As the postgres user, from a folder it can enter.
as_pg() {
	(cd / && runuser -u postgres -- "$@")
}

sql() {
	psql "$DBURL" -X -q -v ON_ERROR_STOP=1 "$@"
}

# Whether something accepts connections on 127.0.0.1:$1 (curl exit 7 is
# "connection refused").
port_busy() {
	rc=0
	curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/" || rc=$?
	[ "$rc" != 7 ]
}

# The folder for what postgres and www-data must reach: .demo itself
# when they can, else $FALLBACK.  Sets STATE, PGDATA_DIR and WEB.
pick_state_dir() {
	mkdir -p "$DEMO"
	chmod 755 "$DEMO"
	if [ -L "$DEMO/pgdata" ]; then
		STATE=$FALLBACK
	elif [ -d "$DEMO/pgdata" ]; then
		STATE=$DEMO
	elif runuser -u postgres -- test -x "$DEMO" &&
	    runuser -u www-data -- test -x "$DEMO"; then
		STATE=$DEMO
	else
		STATE=$FALLBACK
		say "postgres or www-data cannot enter $DEMO;" \
		    "using $FALLBACK, linked from $DEMO"
		mkdir -p "$STATE"
		chmod 755 "$STATE"
		for d in pgdata web; do
			mkdir -p "$STATE/$d"
			ln -sfn "$STATE/$d" "$DEMO/$d"
		done
	fi
	PGDATA_DIR=$STATE/pgdata
	WEB=$STATE/web
}

# ---- stopping ----

# stop_pid NAME PIDFILE: SIGTERM, wait up to 15 s, then SIGKILL.
stop_pid() {
	[ -f "$2" ] || return 0
	pid=$(cat "$2")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		say "stopping $1 (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "$1 ignores SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$2"
}

stop_all() {
	[ -d "$DEMO" ] || return 0
	stop_pid "the runner" "$DEMO/runner.pid"
	# Apache stops its jobq.fcgi processes itself.
	stop_pid Apache "$DEMO/web/run/httpd.pid"
	if [ -f "$DEMO/pgdata/postmaster.pid" ]; then
		say "stopping PostgreSQL"
		# The real path: postgres may not be able to enter .demo.
		as_pg "$(pgbin)/pg_ctl" -D "$(readlink -f "$DEMO/pgdata")" \
		    -m fast -w stop >/dev/null ||
		    die "could not stop PostgreSQL; see $DEMO/pgdata/server.log"
	fi
}

# ---- starting ----

build() {
	say "installing packages (scripts/deps.sh)"
	sh scripts/deps.sh
	[ -x configure ] || { say "autoreconf -fi"; autoreconf -fi; }
	say "building in $BUILD"
	mkdir -p "$BUILD"
	(
		cd "$BUILD"
		[ -f Makefile ] || "$TOP/configure" -q
		make -j"$(nproc)" >"$DEMO/build.log" 2>&1 ||
		    { tail -n 30 "$DEMO/build.log" >&2; exit 1; }
	) || die "the build failed; see $DEMO/build.log"
	RUNNER=$BUILD/runner/jobq-runner
	FCGI=$BUILD/fcgi-app/jobq.fcgi
}

start_pg() {
	bin=$(pgbin)
	port_busy "$PG_PORT" && die "port $PG_PORT is taken;" \
	    "stop what uses it or set JOBQ_DEMO_PG_PORT"
	mkdir -p "$PGDATA_DIR"
	chown postgres: "$PGDATA_DIR"
	chmod 700 "$PGDATA_DIR"
	if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
		say "creating a PostgreSQL cluster in $DEMO/pgdata"
		as_pg "$bin/initdb" -D "$PGDATA_DIR" -A trust -U postgres \
		    -E UTF8 --locale=C.UTF-8 >"$DEMO/initdb.log" 2>&1 ||
		    die "initdb failed; see $DEMO/initdb.log"
	fi
	# Rewritten each time, so that a changed port takes effect.  No
	# unix socket: the demo speaks TCP on loopback only.
	cat >"$PGDATA_DIR/jobq-demo.conf" <<-EOF
	listen_addresses = '127.0.0.1'
	port = $PG_PORT
	unix_socket_directories = ''
	EOF
	chown postgres: "$PGDATA_DIR/jobq-demo.conf"
	grep -q "^include_if_exists = 'jobq-demo.conf'" \
	    "$PGDATA_DIR/postgresql.conf" ||
	    echo "include_if_exists = 'jobq-demo.conf'" \
	    >>"$PGDATA_DIR/postgresql.conf"
	say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
	as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -w -t 60 \
	    -l "$PGDATA_DIR/server.log" start >/dev/null ||
	    die "PostgreSQL did not start; see $DEMO/pgdata/server.log"
	admin="host=127.0.0.1 port=$PG_PORT dbname=postgres user=postgres"
	if [ -z "$(psql "$admin" -X -A -t -c \
	    "SELECT 1 FROM pg_database WHERE datname = 'jobq'")" ]; then
		psql "$admin" -X -q -c 'CREATE DATABASE jobq' ||
		    die "createdb failed"
	fi
	say "jobq-runner --migrate"
	JOBQ_DATABASE_URL=$DBURL "$RUNNER" --migrate >>"$DEMO/migrate.log" \
	    2>&1 || die "migration failed; see $DEMO/migrate.log"
}

start_apache() {
	port_busy "$WEB_PORT" && die "port $WEB_PORT is taken;" \
	    "stop what uses it or set JOBQ_DEMO_WEB_PORT"
	mkdir -p "$WEB/run" "$WEB/logs" "$WEB/htdocs" "$WEB/bin"
	chmod 755 "$WEB" "$WEB/bin" "$WEB/htdocs"
	echo ok >"$WEB/htdocs/ping.txt"
	# A copy www-data can reach, whatever the checkout's permissions.
	cp "$FCGI" "$WEB/bin/jobq.fcgi.new"
	chmod 755 "$WEB/bin/jobq.fcgi.new"
	mv -f "$WEB/bin/jobq.fcgi.new" "$WEB/bin/jobq.fcgi"
	say "starting Apache with mod_fcgid on $API"
	# test-httpd.conf reads these when Apache parses it.
	JOBQ_WEB_ROOT=$WEB JOBQ_WEB_PORT=$WEB_PORT \
	    JOBQ_FCGI_BIN=$WEB/bin/jobq.fcgi JOBQ_FCGID_PROCS=4 \
	    JOBQ_DATABASE_URL=$DBURL JOBQ_API_TOKEN= \
	    apache2 -f "$TOP/apache-conf/test-httpd.conf" \
	    >>"$DEMO/apache.log" 2>&1 ||
	    die "Apache did not start; see $DEMO/apache.log"
	# Apache goes to the background by itself and writes its pid file.
	i=0
	until curl -sf -o /dev/null --max-time 1 "$API/health"; do
		i=$((i + 1))
		[ $i -lt 100 ] ||
		    die "Apache does not answer; see $DEMO/web/logs/error.log"
		sleep 0.1
	done
}

start_runner() {
	# A world-readable copy of the example handler, next to its data.
	mkdir -p "$STATE/bin" "$STATE/files"
	chmod 755 "$STATE/bin" "$STATE/files"
	cp examples/checksum "$STATE/bin/checksum"
	chmod 755 "$STATE/bin/checksum"
	cat >"$DEMO/jobq-demo.ini" <<-EOF
	# jobq-demo.ini - the runner's configuration, written by demo.sh.
	[runner]
	workers = 4
	poll_interval = 1

	# An exec handler: the job's args arrive as JSON on stdin.
	[kind.checksum]
	exec = $STATE/bin/checksum
	timeout = 60
	EOF
	say "starting jobq-runner (config $DEMO/jobq-demo.ini)"
	# A session of its own, so that a ^C in this terminal later does
	# not reach it.
	JOBQ_DATABASE_URL=$DBURL setsid "$RUNNER" -c "$DEMO/jobq-demo.ini" \
	    >>"$DEMO/runner.log" 2>&1 </dev/null &
	echo $! >"$DEMO/runner.pid"
	sleep 0.5
	kill -0 "$(cat "$DEMO/runner.pid")" 2>/dev/null ||
	    die "the runner exited; see $DEMO/runner.log"
}

# post JSON: enqueue through the HTTP API, print the new job's id.
post() {
	out=$(curl -s -w '\n%{http_code}' --max-time 10 \
	    -H 'Content-Type: application/json' --data-binary "$1" \
	    "$API/jobs") || die "curl failed: POST $API/jobs"
	code=$(printf '%s\n' "$out" | tail -n 1)
	body=$(printf '%s\n' "$out" | sed '$d')
	[ "$code" = 201 ] || die "POST $1: HTTP $code: $body"
	printf '  POST %s\n    -> %s %s\n' "$(printf '%s' "$1" | jq -c .)" \
	    "$code" "$(printf '%s' "$body" |
	    jq -c '{id, kind, state, run_at}')" >&2
	id=$(printf '%s\n' "$body" | jq -r .id)
	case $id in
	'' | *[!0-9]*)	die "no job id in the answer: $body" ;;
	esac
	echo "$id"
}

run_demo_jobs() {
	file=$STATE/files/services
	cp /etc/services "$file"
	chmod 644 "$file"
	rm -f "$file.gz"
	say "posting demo jobs to $API/jobs"
	ids=$(post '{"kind":"noop"}')
	ids="$ids,$(post '{"kind":"echo","args":{"hello":"world","n":42}}')"
	ids="$ids,$(post '{"kind":"sleep","args":{"seconds":1}}')"
	ids="$ids,$(post "$(jq -cn --arg p "$file" \
	    '{kind: "checksum", queue: "files",
	      args: {path: $p, algorithm: "sha256", compress: true}}')")"
	ids="$ids,$(post '{"kind":"fail","args":{"message":"demo failure"},
	    "max_attempts":2}')"
	later=$(post '{"kind":"echo","args":{"scheduled":true},"delay":5}')
	ids="$ids,$later"

	# Done waiting once every job has had its first attempt, except the
	# scheduled one.  A failed attempt with attempts left is back to
	# available with attempt 1.
	say "waiting for the runner"
	i=0
	while :; do
		n=$(sql -A -t -c "SELECT count(*) FROM jobq.jobs
		    WHERE id IN ($ids) AND id <> $later AND (state = 'running'
		    OR (state = 'available' AND attempt = 0))") ||
		    die "could not query the jobs"
		[ "$n" != 0 ] || break
		i=$((i + 1))
		[ $i -lt 300 ] || die "jobs still waiting after 30 s; see" \
		    "$DEMO/runner.log"
		sleep 0.1
	done
	show_jobs "id IN ($ids)"
}

# show_jobs WHERE: the jobs, with long results and errors cut short,
# then the long results in full.
show_jobs() {
	sql -P pager=off -P null='-' -c "SELECT id, kind, queue, state,
	    attempt || '/' || max_attempts AS attempt,
	    CASE WHEN state = 'available' AND run_at > now()
	         THEN 'in ' || ceil(extract(epoch FROM run_at - now())) || ' s'
	    END AS runs,
	    CASE WHEN length(result::text) > 40
	         THEN left(result::text, 37) || '...'
	         ELSE result::text END AS result,
	    left(CASE WHEN errors = '[]' THEN NULL
	         ELSE errors->-1->>'error' END, 40) AS last_error
	    FROM jobq.jobs WHERE $1 ORDER BY id"
	sql -A -t -c "SELECT 'job ' || id || ' result: ' || jsonb_pretty(result)
	    FROM jobq.jobs WHERE ($1) AND length(result::text) > 40
	    ORDER BY id"
}

explain() {
	cat <<-EOF

	The demo is running:
	  HTTP API    $API   (Apache, mod_fcgid, $DEMO/web/logs/)
	  PostgreSQL  psql "$DBURL"
	  runner      pid $(cat "$DEMO/runner.pid"), log $DEMO/runner.log
	  config      $DEMO/jobq-demo.ini

	Look further:
	  curl -s $API/health
	  curl -s $API/jobs/$later            # the scheduled job, due in 5 s
	  curl -s -H 'Content-Type: application/json' \\
	      -d '{"kind":"echo","args":{"hi":1}}' $API/jobs
	  psql "$DBURL" -c 'TABLE jobq.jobs'
	  psql "$DBURL" -c \\
	      'SELECT state, count(*) FROM jobq.jobs GROUP BY 1'
	  sh scripts/demo.sh status

	The fail job is retried once after a backoff, then stays failed.

	Stop everything:  sh scripts/demo.sh stop
	EOF
}

start() {
	[ "$(id -u)" = 0 ] ||
	    die "run as root: it installs packages and starts Apache," \
	    "PostgreSQL (as postgres) and the runner"
	mkdir -p "$DEMO"
	stop_all
	build
	pick_state_dir
	start_pg
	start_apache
	start_runner
	run_demo_jobs
	explain
}

status() {
	[ -d "$DEMO" ] || { echo "no demo here (.demo/ missing)"; return 0; }
	for x in "runner:$DEMO/runner.pid" "Apache:$DEMO/web/run/httpd.pid" \
	    "PostgreSQL:$DEMO/pgdata/postmaster.pid"; do
		name=${x%%:*}
		f=${x#*:}
		pid=$(head -n 1 "$f" 2>/dev/null || true)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			printf '%-11s running, pid %s\n' "$name" "$pid"
		else
			printf '%-11s stopped\n' "$name"
		fi
	done
	if psql "$DBURL" -X -A -t -c 'SELECT 1' >/dev/null 2>&1; then
		sql -P pager=off -c "SELECT state, count(*) FROM jobq.jobs
		    GROUP BY state ORDER BY state"
		show_jobs "id > (SELECT max(id) - 10 FROM jobq.jobs)"
	fi
}

clean() {
	stop_all
	say "removing $DEMO and $FALLBACK"
	rm -rf "$DEMO" "$FALLBACK"
}

case ${1:-start} in
start)	start ;;
stop)	stop_all ;;
status)	status ;;
clean)	clean ;;
*)	echo "usage: sh scripts/demo.sh [start | stop | status | clean]" >&2
	exit 2 ;;
esac
