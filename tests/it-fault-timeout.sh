# it-fault-timeout.sh - issue 3, point 2: timeouts per kind (config) and
# per job (request).  At the timeout the handler's whole process group
# goes (SIGTERM, then SIGKILL after kill_grace), grandchildren holding
# the output pipe included; the error names the timeout; the worker
# slot serves the next job.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

mark="jqmark-timeout-$$"
mkdir -p "$JQ_TMP/bin"
# stubborn ignores SIGTERM (so do its children); both leave a grandchild
# that holds stdout open and carries the marker in its command line.
cat >"$JQ_TMP/bin/stubborn" <<SH
#!/bin/sh
trap '' TERM
sh -c 'sleep 300; echo $mark-a' &
sleep 300
SH
cat >"$JQ_TMP/bin/slow" <<SH
#!/bin/sh
sh -c 'sleep 300; echo $mark-b' &
sleep 300
SH
chmod 755 "$JQ_TMP"/bin/*
cat >"$JQ_TMP/jobq.ini" <<EOF2
[runner]
poll_interval = 0.2
kill_grace = 1
[kind.stubborn]
exec = $JQ_TMP/bin/stubborn
timeout = 2
[kind.slow]
exec = $JQ_TMP/bin/slow
EOF2

# One worker: the later jobs run only if the slot comes back.
a=$(jq_sql "INSERT INTO jobq.jobs (kind, max_attempts, priority)
    VALUES ('stubborn', 1, 1) RETURNING id")
b=$(jq_sql "INSERT INTO jobq.jobs (kind, max_attempts, timeout, priority)
    VALUES ('slow', 1, 1, 2) RETURNING id")
c=$(jq_sql "INSERT INTO jobq.jobs (kind, priority) VALUES ('noop', 3)
    RETURNING id")
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 1

jq_wait_sql "SELECT state = 'running' FROM jobq.jobs WHERE id = $a" 20 ||
    jq_fail "stubborn job did not start"
for i in $(seq 100); do
	pgrep -f "$mark-a" >/dev/null && break
	sleep 0.1
done
pgrep -f "$mark-a" >/dev/null || jq_fail "grandchild a never ran"
jq_wait_sql "SELECT count(*) = 3 FROM jobq.jobs
    WHERE state IN ('completed', 'failed')" 40 ||
    jq_fail "jobs did not finish: $(jq_sql "SELECT id, state
        FROM jobq.jobs")"

jq_expect "kind timeout" "$(jq_sql "SELECT state || ':' ||
    (errors->0->>'error') FROM jobq.jobs WHERE id = $a")" \
    "failed:timed out after 2 seconds"
jq_expect "job timeout wins over the default" "$(jq_sql "SELECT state ||
    ':' || (errors->0->>'error') FROM jobq.jobs WHERE id = $b")" \
    "failed:timed out after 1 seconds"
jq_expect "slot back in service" "$(jq_sql "SELECT state FROM jobq.jobs
    WHERE id = $c")" completed
for i in $(seq 50); do
	pgrep -f "$mark" >/dev/null || break
	sleep 0.1
done
pgrep -af "$mark" && jq_fail "handler processes outlived the timeout"
jq_log "ok: whole process groups are gone"
grep -q 'sending SIGKILL to process group' "$JQ_TMP"/runner-0.log ||
    jq_fail "stubborn group was not sent SIGKILL"
jq_log "ok: SIGKILL after the grace period"
