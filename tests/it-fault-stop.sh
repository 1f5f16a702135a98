# it-fault-stop.sh - issue 3, point 5: SIGTERM stops claiming, lets jobs
# in flight finish within shutdown_timeout, then kills what is left
# (its whole process group) and gives those jobs back without counting
# the attempt, records every finished job, removes the runner's row and
# exits 0.  SIGINT does the same.  SIGHUP reloads the configuration
# without dropping the job in flight.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

mark="jqmark-stop-$$"
mkdir -p "$JQ_TMP/bin"
cat >"$JQ_TMP/bin/hang" <<SH
#!/bin/sh
sh -c 'sleep 300; : $mark' &
sleep 300
SH
printf '#!/bin/sh\necho "\\"late\\""\n' >"$JQ_TMP/bin/late"
chmod 755 "$JQ_TMP"/bin/*
cat >"$JQ_TMP/jobq.ini" <<EOF2
[runner]
poll_interval = 0.2
shutdown_timeout = 3
kill_grace = 1
[kind.hang]
exec = $JQ_TMP/bin/hang
EOF2

# stop_runner SIGNAL: signal the newest runner and wait for it; its
# exit status is left in $rc.
stop_runner() {
	rc=0
	kill -"$1" "$JQ_RUNNER_PID"
	wait "$JQ_RUNNER_PID" || rc=$?
	JQ_RUNNER_PIDS=()
}

# ---- SIGTERM with two short jobs and one long job in flight ----
ids=$(jq_sql "INSERT INTO jobq.jobs (kind, args) VALUES
    ('sleep', '{\"seconds\": 1.5}'), ('sleep', '{\"seconds\": 1.5}'),
    ('hang', '{}') RETURNING id" | tr '\n' ' ')
set -- $ids
s1=$1 s2=$2 h=$3
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 3 --id stopper
jq_wait_sql "SELECT count(*) = 3 FROM jobq.jobs WHERE state = 'running'" \
    20 || jq_fail "jobs did not start"
queued=$(jq_sql "INSERT INTO jobq.jobs (kind, args, priority) SELECT
    'sleep', '{\"seconds\": 0}', 5 FROM generate_series(1, 3)
    RETURNING id" | tr '\n' ,)
queued=${queued%,}
for i in $(seq 100); do
	pgrep -f "$mark" >/dev/null && break
	sleep 0.1
done
pgrep -f "$mark" >/dev/null || jq_fail "hang's grandchild never ran"
stop_runner TERM
jq_expect "SIGTERM: exit status" "$rc" 0
jq_expect "jobs in flight finished and were recorded" "$(jq_sql "SELECT
    count(*) FROM jobq.jobs WHERE id IN ($s1, $s2)
    AND state = 'completed' AND attempt = 1")" 2
jq_expect "job past the timeout given back, attempt not counted" \
    "$(jq_sql "SELECT state || ':' || attempt || ':' ||
    jsonb_array_length(errors) || ':' || coalesce(runner, '-')
    FROM jobq.jobs WHERE id = $h")" "available:0:0:-"
jq_expect "no new claims while stopping" "$(jq_sql "SELECT count(*)
    FROM jobq.jobs WHERE id IN ($queued) AND state = 'available'
    AND attempt = 0")" 3
jq_expect "runner row removed" "$(jq_sql "SELECT count(*)
    FROM jobq.runners")" 0
for i in $(seq 30); do
	pgrep -f "$mark" >/dev/null || break
	sleep 0.1
done
pgrep -af "$mark" && jq_fail "killed job's processes live on"
jq_log "ok: the killed job's process group is gone"

# ---- SIGINT: the same ----
jq_sql "DELETE FROM jobq.jobs WHERE id IN ($queued)"
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 1 --id interrupted
jq_wait_sql "SELECT state = 'running' FROM jobq.jobs WHERE id = $h" 20 ||
    jq_fail "hang job did not start again"
stop_runner INT
jq_expect "SIGINT: exit status" "$rc" 0
jq_expect "SIGINT: job given back" "$(jq_sql "SELECT state || ':' ||
    attempt FROM jobq.jobs WHERE id = $h")" "available:0"
jq_expect "SIGINT: runner row removed" "$(jq_sql "SELECT count(*)
    FROM jobq.runners")" 0
jq_sql "DELETE FROM jobq.jobs WHERE id = $h"

# ---- SIGHUP: reload with a job in flight ----
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 2 --id reloader
r=$(jq_sql "INSERT INTO jobq.jobs (kind, args) VALUES
    ('sleep', '{\"seconds\": 2}') RETURNING id")
jq_wait_sql "SELECT state = 'running' FROM jobq.jobs WHERE id = $r" 20 ||
    jq_fail "job did not start"
printf '[kind.late]\nexec = %s\n' "$JQ_TMP/bin/late" >>"$JQ_TMP/jobq.ini"
kill -HUP "$JQ_RUNNER_PID"
for i in $(seq 50); do
	grep -q 'configuration reloaded' "$JQ_TMP"/runner-*.log && break
	sleep 0.1
done
grep -q 'configuration reloaded' "$JQ_TMP"/runner-*.log ||
    jq_fail "no reload logged"
l=$(jq_sql "INSERT INTO jobq.jobs (kind) VALUES ('late') RETURNING id")
jq_wait_sql "SELECT count(*) = 2 FROM jobq.jobs WHERE id IN ($r, $l)
    AND state = 'completed'" 20 || jq_fail "jobs after SIGHUP did not complete"
jq_expect "job in flight kept through SIGHUP" "$(jq_sql "SELECT attempt ||
    ':' || jsonb_array_length(errors) FROM jobq.jobs WHERE id = $r")" "1:0"
jq_expect "new kind after SIGHUP" "$(jq_sql "SELECT result #>> '{}'
    FROM jobq.jobs WHERE id = $l")" late
kill -0 "$JQ_RUNNER_PID" || jq_fail "runner died on SIGHUP"
stop_runner TERM
jq_expect "reloader: exit status" "$rc" 0
