# it-runner-config.sh - the runner says what is wrong with its database,
# takes queue lists with blanks, and keeps its configuration when a
# SIGHUP finds the file replaced by something that is not one.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start
ADMIN_URL=$JOBQ_DATABASE_URL
PG_URL="host=127.0.0.1 port=$JQ_PGPORT"
admin() { psql "$ADMIN_URL" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

# 3: no schema -> exit 1 and the advice.
admin "CREATE DATABASE empty"
rc=0
JOBQ_DATABASE_URL="$PG_URL dbname=empty user=postgres" timeout 20 \
    "$JQ_RUNNER" --once -w 1 2>"$JQ_TMP/e1" || rc=$?

jq_expect "no schema: exit" "$rc" 1
grep -q 'no jobq schema (or an old one): run jobq-runner --migrate' \
    "$JQ_TMP/e1" || jq_fail "no schema: no advice"
grep -q 'cannot connect' "$JQ_TMP/e1" && jq_fail "no schema: 'cannot connect'"

# 3: a role without jobq_runner -> exit 1 and the advice.
admin "CREATE ROLE nobody LOGIN"
rc=0
JOBQ_DATABASE_URL="$PG_URL dbname=jobq user=nobody" timeout 20 \
    "$JQ_RUNNER" --once -w 1 2>"$JQ_TMP/e2" || rc=$?

jq_expect "no privileges: exit" "$rc" 1
grep -q 'role lacks privileges on schema jobq: grant it jobq_runner' \
    "$JQ_TMP/e2" || jq_fail "no privileges: no advice"
# ... and with the role it works.
admin "GRANT jobq_runner TO nobody"
JOBQ_DATABASE_URL="$PG_URL dbname=jobq user=nobody" timeout 20 \
    "$JQ_RUNNER" --once -w 1 2>"$JQ_TMP/e3" ||
    jq_fail "granted: $(cat "$JQ_TMP/e3")"
# Connection refused still says so.
rc=0
JOBQ_DATABASE_URL="host=127.0.0.1 port=1 dbname=jobq connect_timeout=2" \
    timeout 20 "$JQ_RUNNER" --once -w 1 2>"$JQ_TMP/e4" || rc=$?
jq_expect "refused: exit" "$rc" 1
grep -q 'cannot connect to the database' "$JQ_TMP/e4" || jq_fail "refused msg"

# 2: queues with blanks, file and command line.
mkdir -p "$JQ_TMP/bin"
printf '#!/bin/sh\necho \\"ok\\"\n' >"$JQ_TMP/bin/ok"; chmod +x "$JQ_TMP/bin/ok"
printf '[runner]\nqueues = default, mail\n[kind.k]\nexec = %s\n' \
    "$JQ_TMP/bin/ok" >"$JQ_TMP/jobq.ini"
m=$(jq_sql "INSERT INTO jobq.jobs (kind, queue) VALUES ('k', 'mail')
    RETURNING id")
timeout 30 "$JQ_RUNNER" -c "$JQ_TMP/jobq.ini" --once -w 1 \
    2>"$JQ_TMP/q1" || jq_fail "queues with blanks: $(cat "$JQ_TMP/q1")"
jq_expect "mail job done (file)" "$(jq_sql "SELECT state FROM jobq.jobs
    WHERE id = $m")" completed
m=$(jq_sql "INSERT INTO jobq.jobs (kind, queue) VALUES ('k', 'b')
    RETURNING id")
timeout 30 "$JQ_RUNNER" -c "$JQ_TMP/jobq.ini" --queues 'a, b' --once -w 1 \
    2>"$JQ_TMP/q2" || jq_fail "--queues with blanks: $(cat "$JQ_TMP/q2")"
jq_expect "b job done (--queues)" "$(jq_sql "SELECT state FROM jobq.jobs
    WHERE id = $m")" completed

# 1: SIGHUP with the file replaced by a directory keeps the old config.
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 1 --id hup-1 \
    --poll-interval 0.2
jq_wait_sql "SELECT count(*) = 1 FROM jobq.runners WHERE id = 'hup-1'" 20 ||
    jq_fail "runner did not start"
mv "$JQ_TMP/jobq.ini" "$JQ_TMP/jobq.ini.old"
mkdir "$JQ_TMP/jobq.ini"
kill -HUP "$JQ_RUNNER_PID"
for i in $(seq 50); do
	grep -q 'reload failed' "$JQ_TMP"/runner-0.log && break
	sleep 0.1
done

grep -q 'reload failed, keeping the old configuration: .*is a directory' \
    "$JQ_TMP"/runner-0.log || jq_fail "no reload error logged"
grep -q 'configuration reloaded' "$JQ_TMP"/runner-0.log &&
    jq_fail "directory reloaded"
m=$(jq_sql "INSERT INTO jobq.jobs (kind, queue) VALUES ('k', 'mail')
    RETURNING id")
jq_wait_sql "SELECT state = 'completed' FROM jobq.jobs WHERE id = $m" 20 ||
    jq_fail "kind handler lost after bad SIGHUP"
jq_runner_stop_all
jq_log "ok: all runner-fix checks"
