# it-fault-cancel.sh - cancelling a running job (issue 4's contract,
# runner side; docs/internals.md).  jobq.cancel() marks the job and
# notifies jobq_cancel; the runner holding it kills the handler's whole
# process group and records the job as cancelled.  A request whose
# notification was missed is found on the next heartbeat.  The worker
# slot serves the next job.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

mark="jqmark-cancel-$$"
mkdir -p "$JQ_TMP/bin"
cat >"$JQ_TMP/bin/hang" <<SH
#!/bin/sh
sh -c 'sleep 300; : $mark' &
sleep 300
SH
chmod 755 "$JQ_TMP/bin/hang"
cat >"$JQ_TMP/jobq.ini" <<EOF2
[runner]
poll_interval = 0.2
heartbeat_interval = 1
rescue_after = 3
kill_grace = 1
[kind.hang]
exec = $JQ_TMP/bin/hang
EOF2
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 1

# By notification.
a=$(jq_sql "INSERT INTO jobq.jobs (kind) VALUES ('hang') RETURNING id")
jq_wait_sql "SELECT state = 'running' FROM jobq.jobs WHERE id = $a" 20 ||
    jq_fail "job did not start"
for i in $(seq 50); do
	pgrep -f "$mark" >/dev/null && break
	sleep 0.1
done
pgrep -f "$mark" >/dev/null || jq_fail "grandchild never ran"
jq_expect "cancel returns the running job" "$(jq_sql "SELECT state
    FROM jobq.cancel($a)")" running
jq_wait_sql "SELECT state = 'cancelled' FROM jobq.jobs WHERE id = $a" 20 ||
    jq_fail "running job was not cancelled"
jq_expect "cancelled: finished, error recorded" "$(jq_sql "SELECT
    (finished_at IS NOT NULL) || ':' || attempt || ':' ||
    (errors->-1->>'attempt') || ':' || (errors->-1->>'error')
    FROM jobq.jobs WHERE id = $a")" "true:1:1:cancelled"
for i in $(seq 50); do
	pgrep -f "$mark" >/dev/null || break
	sleep 0.1
done
pgrep -af "$mark" && jq_fail "cancelled job's processes live on"
jq_log "ok: the cancelled job's process group is gone"

# Without a notification: the heartbeat finds the request.
b=$(jq_sql "INSERT INTO jobq.jobs (kind, args) VALUES ('sleep',
    '{\"seconds\": 120}') RETURNING id")
jq_wait_sql "SELECT state = 'running' FROM jobq.jobs WHERE id = $b" 20 ||
    jq_fail "sleep job did not start"
jq_sql "UPDATE jobq.jobs SET cancel_requested_at = now() WHERE id = $b"
jq_wait_sql "SELECT state = 'cancelled' FROM jobq.jobs WHERE id = $b" 20 ||
    jq_fail "cancel request without notification was not seen"
jq_expect "heartbeat cancel recorded" "$(jq_sql "SELECT errors->-1->>'error'
    FROM jobq.jobs WHERE id = $b")" cancelled

# A failed attempt of a job asked to cancel is not retried.
f=$(jq_sql "INSERT INTO jobq.jobs (kind, max_attempts, cancel_requested_at)
    VALUES ('fail', 5, now()) RETURNING id")
jq_wait_sql "SELECT state NOT IN ('available', 'running') OR attempt > 1
    FROM jobq.jobs WHERE id = $f" 20 || jq_fail "fail job did not end"
jq_expect "failed attempt of a cancelled job" "$(jq_sql "SELECT state ||
    ':' || attempt FROM jobq.jobs WHERE id = $f")" "cancelled:1"

c=$(jq_sql "INSERT INTO jobq.jobs (kind) VALUES ('noop') RETURNING id")
jq_wait_sql "SELECT state = 'completed' FROM jobq.jobs WHERE id = $c" 20 ||
    jq_fail "slot not back in service"
jq_log "ok: slot back in service"
kill -0 "$JQ_RUNNER_PID" || jq_fail "runner died"
