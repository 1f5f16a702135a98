# it-fault-runner-kill.sh - issue 3, point 4: the runner's parent killed
# with SIGKILL mid-job.  Its workers and their programs go with it;
# another runner rescues its jobs once its heartbeat is older than
# rescue_after (attempts left: available again with the reason, none
# left: failed) and removes its row.  A live runner's job that runs
# longer than rescue_after is never rescued, and a completed job held
# by a dead runner stays completed.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

mark="jqmark-runnerkill-$$"
mkdir -p "$JQ_TMP/bin" "$JQ_TMP/pids"
chmod 777 "$JQ_TMP/pids"
# The first attempt hangs with a grandchild; later attempts succeed.
cat >"$JQ_TMP/bin/hang-$mark" <<SH
#!/bin/sh
echo \$\$ >"$JQ_TMP/pids/\$JOBQ_JOB_ID.\$JOBQ_ATTEMPT"
if [ "\$JOBQ_ATTEMPT" = 1 ]; then
	sh -c 'sleep 300; : $mark' &
	sleep 300
fi
echo '"done"'
SH
chmod 755 "$JQ_TMP/bin/hang-$mark"
cat >"$JQ_TMP/jobq.ini" <<EOF2
[runner]
poll_interval = 0.2
heartbeat_interval = 1
rescue_after = 3
queues = default
[kind.hang]
exec = $JQ_TMP/bin/hang-$mark
EOF2
"$JQ_RUNNER" -n -c "$JQ_TMP/jobq.ini" >/dev/null || jq_fail "bad config"
# rescue_after must leave room for several heartbeats.
"$JQ_RUNNER" -n -c "$JQ_TMP/jobq.ini" --rescue-after 2 >/dev/null 2>&1 &&
    jq_fail "rescue_after below 3 heartbeats accepted"

a1=$(jq_sql "INSERT INTO jobq.jobs (kind, max_attempts) VALUES ('hang', 3)
    RETURNING id")
a2=$(jq_sql "INSERT INTO jobq.jobs (kind, max_attempts) VALUES ('hang', 1)
    RETURNING id")
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 2 --id doomed
doomed=$JQ_RUNNER_PID
jq_wait_sql "SELECT count(*) = 2 FROM jobq.jobs WHERE state = 'running'
    AND runner = 'doomed'" 20 || jq_fail "doomed runner did not take both"
for i in $(seq 100); do
	[ -s "$JQ_TMP/pids/$a1.1" ] && [ -s "$JQ_TMP/pids/$a2.1" ] &&
	    [ "$(pgrep -fc "$mark")" -ge 4 ] && break
	sleep 0.1
done
handlers="$(cat "$JQ_TMP/pids/$a1.1" "$JQ_TMP/pids/$a2.1")" ||
    jq_fail "handlers did not start"
workers=$(pgrep -P "$doomed" | tr '\n' ' ')
[ -n "$workers" ] || jq_fail "no workers found"

# The survivor starts now and takes a job longer than rescue_after.
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 3 --id survivor
long=$(jq_sql "INSERT INTO jobq.jobs (kind, args)
    VALUES ('sleep', '{\"seconds\": 7}') RETURNING id")
jq_wait_sql "SELECT state = 'running' AND runner = 'survivor'
    FROM jobq.jobs WHERE id = $long" 20 || jq_fail "long job did not start"

# Dead runners the survivor must clean up after, by SQL: jobs in a
# queue it does not work, so what it puts back stays put.
jq_sql "INSERT INTO jobq.runners (id, host, pid, workers, heartbeat_at)
    VALUES ('ghost', 'h', 1, 1, now() - interval '1 hour')"
g=$(jq_sql "INSERT INTO jobq.jobs (queue, kind, state, attempt,
    max_attempts, runner, started_at, finished_at) VALUES
    ('parked', 'x', 'running', 1, 3, 'ghost', now(), NULL),
    ('parked', 'x', 'running', 3, 3, 'ghost', now(), NULL),
    ('parked', 'x', 'completed', 1, 3, 'ghost', now(), now()),
    ('parked', 'x', 'running', 1, 3, 'rowless', now() - interval '1 h',
     NULL)
    RETURNING id" | tr '\n' ' ')
set -- $g
g_retry=$1 g_fail=$2 g_done=$3 g_rowless=$4
# A job a client asked to cancel is cancelled, not put back.
g_cancel=$(jq_sql "INSERT INTO jobq.jobs (queue, kind, state, attempt,
    max_attempts, runner, started_at, cancel_requested_at) VALUES
    ('parked', 'x', 'running', 1, 3, 'ghost', now(), now()) RETURNING id")

kill -KILL "$doomed"
wait "$doomed" 2>/dev/null
for i in $(seq 50); do
	alive=
	for p in $workers $handlers; do
		kill -0 "$p" 2>/dev/null && alive="$alive $p"
	done
	[ -z "$alive" ] && ! pgrep -f "$mark" >/dev/null && break
	sleep 0.1
done
[ -z "$alive" ] || jq_fail "orphans of the killed runner live on:$alive"
pgrep -af "$mark" && jq_fail "handler grandchildren live on"
jq_log "ok: workers, handlers and grandchildren died with the runner"

jq_wait_sql "SELECT state = 'completed' FROM jobq.jobs WHERE id = $a1" 40 ||
    jq_fail "job with attempts left was not rescued and rerun"
jq_expect "rescued job: attempt and reason" "$(jq_sql "SELECT attempt ||
    ':' || (errors->0->>'attempt') || ':' || (errors->0->>'error') ||
    ':' || runner FROM jobq.jobs WHERE id = $a1")" \
    "2:1:runner doomed lost: heartbeat stale:survivor"
jq_wait_sql "SELECT state = 'failed' FROM jobq.jobs WHERE id = $a2" 20 ||
    jq_fail "job without attempts left did not fail"
jq_expect "no attempts left: failed with the reason" "$(jq_sql "SELECT
    attempt || ':' || (errors->0->>'error') || ':' ||
    (finished_at IS NOT NULL) FROM jobq.jobs WHERE id = $a2")" \
    "1:runner doomed lost: heartbeat stale:true"
jq_wait_sql "SELECT count(*) = 0 FROM jobq.runners
    WHERE id IN ('doomed', 'ghost')" 20 ||
    jq_fail "dead runners' rows were not removed"
jq_log "ok: dead runners' rows removed"

jq_expect "ghost job with attempts left" "$(jq_sql "SELECT state || ':' ||
    coalesce(runner, '-') || ':' || (errors->0->>'error')
    FROM jobq.jobs WHERE id = $g_retry")" \
    "available:-:runner ghost lost: heartbeat stale"
jq_expect "ghost job without attempts left" "$(jq_sql "SELECT state
    FROM jobq.jobs WHERE id = $g_fail")" failed
jq_expect "completed job of a dead runner stays completed" \
    "$(jq_sql "SELECT state || ':' || jsonb_array_length(errors)
    FROM jobq.jobs WHERE id = $g_done")" "completed:0"
jq_expect "ghost job asked to cancel" "$(jq_sql "SELECT state || ':' ||
    (finished_at IS NOT NULL) FROM jobq.jobs WHERE id = $g_cancel")" \
    "cancelled:true"
jq_expect "job whose runner has no row" "$(jq_sql "SELECT state || ':' ||
    (errors->0->>'error') FROM jobq.jobs WHERE id = $g_rowless")" \
    "available:runner rowless lost: no heartbeat row"

# The live runner's long job ran to its end, untouched.
jq_wait_sql "SELECT state = 'completed' FROM jobq.jobs WHERE id = $long" \
    30 || jq_fail "long job did not complete"
jq_expect "live runner's long job never rescued" "$(jq_sql "SELECT
    attempt || ':' || jsonb_array_length(errors) || ':' || runner
    FROM jobq.jobs WHERE id = $long")" "1:0:survivor"
jq_expect "live runner's row kept" "$(jq_sql "SELECT count(*)
    FROM jobq.runners WHERE id = 'survivor'")" 1
