# it-migrate.sh - migrations apply once, concurrently too, and a second
# run changes nothing.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start   # has run --migrate once

nfiles=$(ls "$top_srcdir"/sql/[0-9]*.sql | wc -l)
jq_expect "every migration recorded" \
    "$(jq_sql "SELECT count(*) FROM jobq.schema_migrations")" "$nfiles"
before=$(jq_sql "SELECT string_agg(version || '@' || applied_at, ',')
    FROM jobq.schema_migrations")
"$JQ_RUNNER" --migrate || jq_fail "second --migrate failed"
jq_expect "second run changes nothing" "$(jq_sql "SELECT
    string_agg(version || '@' || applied_at, ',')
    FROM jobq.schema_migrations")" "$before"

# Three at once on a fresh database: all succeed, each file applied once.
jq_sql "DROP SCHEMA jobq CASCADE"
pids=()
for i in 1 2 3; do
	"$JQ_RUNNER" --migrate >"$JQ_TMP/m$i.log" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || jq_fail "a concurrent --migrate failed"
done
jq_expect "concurrent: each applied once" \
    "$(jq_sql "SELECT count(*) FROM jobq.schema_migrations")" "$nfiles"
jq_expect "jobs table exists" \
    "$(jq_sql "SELECT to_regclass('jobq.jobs') IS NOT NULL")" t

# The connection string may also come from the PG* variables alone.
(
	unset JOBQ_DATABASE_URL
	PGHOST=127.0.0.1 PGPORT=$JQ_PGPORT PGUSER=postgres PGDATABASE=jobq \
	    "$JQ_RUNNER" --migrate
) || jq_fail "--migrate with PG* variables failed"
jq_log "ok: PG* variables"

# An unreachable database is a clear failure, exit status 1.
JOBQ_DATABASE_URL="host=127.0.0.1 port=1 dbname=x connect_timeout=2" \
    "$JQ_RUNNER" --migrate 2>"$JQ_TMP/err.txt"
jq_expect "unreachable database: exit status" "$?" 1
