#!/usr/bin/env bash
# run.sh - jobq's throughput, each figure as a ratio against a limit
# measured in the same run on the same PostgreSQL:
#
#  1. HTTP enqueue (wrk POSTs through Apache + mod_fcgid + jobq.fcgi)
#     against pgbench doing the same single-row INSERT directly;
#  2. the runner working noop jobs end to end (claim, dispatch to a
#     child, record) against pgbench claiming and completing one row per
#     transaction with SKIP LOCKED.
#
# Usage: bench/run.sh [seconds per measurement] (default 10).  Needs a
# built tree (top_builddir, default ./build) and wrk (apt-get install wrk).
set -u
SECS=${1:-10}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-20000}
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir
source "$top_srcdir/tests/lib.sh"
command -v wrk >/dev/null || jq_fail "wrk missing: apt-get install wrk"

jq_setup
jq_pg_start
jq_sql "ALTER SYSTEM SET fsync = on" >/dev/null
jq_pg_stop; jq_pg_resume
jq_apache_start "$CLIENTS"

# --- 1. enqueue ---
cat >"$JQ_TMP/insert.sql" <<'SQL'
INSERT INTO jobq.jobs (kind, args) VALUES ('noop', '{"n": 1}') RETURNING id;
SQL
pg_tps() {	# script clients seconds
	pgbench -n -h 127.0.0.1 -p "$JQ_PGPORT" -U postgres -f "$1" \
	    -c "$2" -j 2 -T "$3" jobq 2>/dev/null |
	    awk '/^tps/ { printf "%d\n", $3 }'
}
limit=$(pg_tps "$JQ_TMP/insert.sql" "$CLIENTS" "$SECS")
cat >"$JQ_TMP/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"kind": "noop", "args": {"n": 1}}'
LUA
# Warm up: mod_fcgid starts its processes on demand.
wrk -t2 -c"$CLIENTS" -d2s -s "$JQ_TMP/post.lua" "$JQ_BASE/jobs" >/dev/null
got=$(wrk -t2 -c"$CLIENTS" -d"${SECS}s" -s "$JQ_TMP/post.lua" \
    "$JQ_BASE/jobs" | awk '/^Requests\/sec/ { printf "%d\n", $2 }')
echo "enqueue: jobq HTTP $got jobs/s, pgbench INSERT $limit rows/s," \
    "ratio $(awk -v a="$got" -v b="$limit" 'BEGIN { printf "%.2f", a / b }')" \
    "($CLIENTS clients)"

# --- 2. work ---
jq_sql "TRUNCATE jobq.jobs"
jq_sql "INSERT INTO jobq.jobs (kind) SELECT 'noop'
    FROM generate_series(1, $JOBS)"
cat >"$JQ_TMP/claim.sql" <<'SQL'
WITH c AS (SELECT id FROM jobq.jobs WHERE state = 'available'
    AND run_at <= now() ORDER BY priority, run_at, id
    LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE jobq.jobs j SET state = 'completed', attempt = attempt + 1,
    started_at = now(), finished_at = now() FROM c WHERE j.id = c.id;
SQL
limit=$(pg_tps "$JQ_TMP/claim.sql" 2 "$SECS")
jq_sql "TRUNCATE jobq.jobs"
jq_sql "INSERT INTO jobq.jobs (kind) SELECT 'noop'
    FROM generate_series(1, $JOBS)"
start=$(date +%s.%N)
"$JQ_RUNNER" --once --workers 2 >"$JQ_TMP/bench-runner.log" 2>&1 ||
    jq_fail "runner failed"
end=$(date +%s.%N)
done=$(jq_sql "SELECT count(*) FROM jobq.jobs WHERE state = 'completed'")
got=$(awk -v n="$done" -v a="$start" -v b="$end" \
    'BEGIN { printf "%d", n / (b - a) }')
echo "work: jobq runner $got jobs/s, pgbench claim+complete $limit rows/s," \
    "ratio $(awk -v a="$got" -v b="$limit" 'BEGIN { printf "%.2f", a / b }')" \
    "($done noop jobs, 2 workers)"
