# it-fault-db-outage.sh - issue 3, point 6: PostgreSQL stopped under
# load and started again.  The runner logs the loss, keeps its workers,
# reconnects with backoff, prepares its statements and LISTENs again,
# and records the results of jobs that finished during the outage
# after it: every job completes on its first attempt.  (jobq.fcgi's 503
# with Retry-After during an outage is tested in it-badinput.sh.)
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

jq_sql "INSERT INTO jobq.jobs (kind, args) SELECT 'sleep',
    '{\"seconds\": 0.2}' FROM generate_series(1, 200)"
jq_sql "INSERT INTO jobq.jobs (kind) SELECT 'noop'
    FROM generate_series(1, 100)"
# A long poll interval: after the outage only LISTEN wakes it quickly.
jq_runner_start --workers 4 --poll-interval 60
jq_wait_sql "SELECT count(*) >= 20 FROM jobq.jobs
    WHERE state = 'completed'" 30 || jq_fail "runner did not get going"
workers=$(pgrep -P "$JQ_RUNNER_PID" | sort | tr '\n' ' ')
inflight=$(jq_sql "SELECT string_agg(id::text, ',') FROM jobq.jobs
    WHERE state = 'running'")
[ -n "$inflight" ] || jq_fail "no job in flight"

jq_pg_stop
jq_log "PostgreSQL stopped with jobs $inflight in flight"
sleep 3
kill -0 "$JQ_RUNNER_PID" || jq_fail "runner died during the outage"
jq_pg_resume
jq_log "PostgreSQL started again"

jq_wait_sql "SELECT count(*) = 300 FROM jobq.jobs
    WHERE state = 'completed'" 90 ||
    jq_fail "not every job completed: $(jq_sql "SELECT state, count(*)
        FROM jobq.jobs GROUP BY 1")"
jq_expect "every job on its first attempt, no errors" "$(jq_sql "SELECT
    count(*) FROM jobq.jobs WHERE attempt = 1 AND errors = '[]'")" 300
jq_expect "jobs in flight during the outage recorded" "$(jq_sql "SELECT
    count(*) = $(echo "$inflight" | tr ',' '\n' | wc -l) FROM jobq.jobs
    WHERE id IN ($inflight) AND state = 'completed'")" t
grep -q 'database connection lost' "$JQ_TMP/runner-0.log" ||
    jq_fail "loss not logged"
grep -q 'reconnected to the database' "$JQ_TMP/runner-0.log" ||
    jq_fail "reconnect not logged"
jq_log "ok: loss and reconnect logged"
jq_expect "same workers after the outage" \
    "$(pgrep -P "$JQ_RUNNER_PID" | sort | tr '\n' ' ')" "$workers"
jq_expect "runner registered again" "$(jq_sql "SELECT count(*)
    FROM jobq.runners")" 1

# LISTEN again: a wake-up starts a job well before the 60 s poll.
id=$(jq_sql "SELECT id FROM jobq.enqueue('noop')")
jq_wait_sql "SELECT state = 'completed' FROM jobq.jobs WHERE id = $id" 20 ||
    jq_fail "job enqueued after the outage waited for the poll"
jq_log "ok: woken by NOTIFY after the outage"
