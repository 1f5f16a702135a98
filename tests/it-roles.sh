# it-roles.sh - jobq.fcgi works as a member of jobq_web, and that role
# can enqueue and read but not delete, update or change the schema;
# jobq_monitor reads the views only.
source "$top_srcdir/tests/lib.sh"
jq_setup
jq_pg_start
ADMIN_URL=$JOBQ_DATABASE_URL
PG_URL="host=127.0.0.1 port=$JQ_PGPORT"
admin() { psql "$ADMIN_URL" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

admin "CREATE ROLE web_user LOGIN IN ROLE jobq_web;
    CREATE ROLE mon_user LOGIN IN ROLE jobq_monitor;
    CREATE ROLE run_user LOGIN IN ROLE jobq_runner"

# The roles are cluster-wide: migrating a second database must cope
# with them existing already.
admin "CREATE DATABASE jobq2"
JOBQ_DATABASE_URL="$PG_URL dbname=jobq2 user=postgres" "$JQ_RUNNER" --migrate \
    >>"$JQ_TMP/migrate.log" 2>&1 || jq_fail "second database: migrate failed"
jq_log "ok: migration with existing roles"

export JOBQ_DATABASE_URL="$PG_URL dbname=jobq user=web_user"
jq_apache_start 2

code=$(jq_post_json /jobs '{"kind": "w", "unique_key": "k"}')
jq_expect "web role: enqueue" "$code" 201
id=$(jq_json_field id)
code=$(jq_post_json /jobs '{"kind": "w", "unique_key": "k"}')
jq_expect "web role: duplicate" "$code" 200
code=$(jq_post_json /jobs/batch '{"jobs": [{"kind": "b"}, {"kind": "b"}]}')
jq_expect "web role: batch" "$code" 201
for p in "/jobs/$id" /jobs /queues /metrics /health; do
	code=$(jq_http GET "$p")
	jq_expect "web role: GET $p" "$code" 200
done
code=$(jq_http POST "/jobs/$id/cancel")
jq_expect "web role: cancel" "$code" 200
code=$(jq_http POST "/jobs/$id/retry")
jq_expect "web role: retry" "$code" 200
admin "UPDATE jobq.jobs SET state = 'running' WHERE id = $id"
code=$(jq_http POST "/jobs/$id/cancel")
jq_expect "web role: cancel running" "$code" 202
jq_expect "rows as admin" "$(admin "SELECT count(*) FROM jobq.jobs")" 3

# denied USER WHAT SQL: SQL as USER fails with SQLSTATE 42501.
denied() {
	local out
	out=$(psql "$PG_URL dbname=jobq user=$1" -X -q -v VERBOSITY=verbose \
	    -c "$3" 2>&1) && jq_fail "$1 may $2: $out"
	case "$out" in
	*42501*) jq_log "ok: $1 may not $2" ;;
	*) jq_fail "$1 $2: not a permission error: $out" ;;
	esac
}
allowed() {
	psql "$PG_URL dbname=jobq user=$1" -X -q -v ON_ERROR_STOP=1 \
	    -c "$3" >/dev/null 2>"$JQ_TMP/err" ||
	    jq_fail "$1 may not $2: $(cat "$JQ_TMP/err")"
	jq_log "ok: $1 may $2"
}
denied web_user DELETE "DELETE FROM jobq.jobs"
denied web_user UPDATE "UPDATE jobq.jobs SET priority = 1"
denied web_user TRUNCATE "TRUNCATE jobq.jobs"
denied web_user "DROP TABLE" "DROP TABLE jobq.jobs"
denied web_user "CREATE TABLE" "CREATE TABLE jobq.evil (x int)"
denied web_user "ALTER TABLE" "ALTER TABLE jobq.jobs ADD COLUMN evil int"
denied web_user "write runners" "DELETE FROM jobq.runners"
denied web_user "pause queues" "INSERT INTO jobq.queues (name) VALUES ('q')"
allowed web_user "INSERT" "INSERT INTO jobq.jobs (kind) VALUES ('sql')"
denied web_user "forge a finished job" "INSERT INTO jobq.jobs (kind, state,
    result) VALUES ('forged', 'completed', '{}')"
denied web_user "forge a running job" "INSERT INTO jobq.jobs (kind,
    runner) VALUES ('forged', 'nosuch')"
denied web_user "forge errors" "INSERT INTO jobq.jobs (kind, attempt,
    errors) VALUES ('forged', 3, '[]')"
denied mon_user "wake runners" "SELECT jobq.wake('default')"
denied web_user "pause queues by function" "SELECT jobq.pause('default')"
allowed web_user "SELECT" "SELECT count(*) FROM jobq.jobs"
denied mon_user "read jobs" "SELECT count(*) FROM jobq.jobs"
denied mon_user "cancel" "SELECT jobq.cancel($id)"
allowed mon_user "read views" "SELECT * FROM jobq.queue_stats;
    SELECT * FROM jobq.running_jobs; SELECT * FROM jobq.recent_failures;
    SELECT * FROM jobq.runner_status"
allowed run_user "update and prune jobs" "UPDATE jobq.jobs SET priority = 2
    WHERE id = $id; DELETE FROM jobq.jobs WHERE kind = 'sql'"
allowed run_user "keep runners" "INSERT INTO jobq.runners (id, host, pid,
    workers) VALUES ('r', 'h', 1, 1); DELETE FROM jobq.runners"
denied run_user "DROP TABLE" "DROP TABLE jobq.jobs"
jq_expect "jobs intact" "$(admin "SELECT count(*) FROM jobq.jobs")" 3
