# it-fault-worker-kill.sh - issue 3, point 3: a worker child killed with
# SIGKILL mid-job.  The parent notices, fails that attempt naming the
# signal, retries per policy (or fails the job when no attempts are
# left), and a new child takes the slot.  An exec program and what it
# started are killed before the retry, so two attempts never overlap.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

# alive PID: the process exists and is not a zombie waiting for init.
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null)
	[ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

# The first attempt starts a grandchild and sleeps; the second records
# whether the first attempt's grandchild still lives, and ends.
cat >"$JQ_TMP/spawner" <<SH
#!/bin/bash
if [ "\$JOBQ_ATTEMPT" = 1 ]; then
	sleep 300 &
	echo \$! >"$JQ_TMP/grandchild"
	sleep 300
fi
st=\$(ps -o stat= -p "\$(cat "$JQ_TMP/grandchild")")
if [ -n "\$st" ] && [ "\${st#Z}" = "\$st" ]; then
	echo alive >"$JQ_TMP/seen"
else
	echo dead >"$JQ_TMP/seen"
fi
SH
chmod 755 "$JQ_TMP/spawner"
printf '[kind.spawner]\nexec = %s\n' "$JQ_TMP/spawner" >"$JQ_TMP/jobq.ini"

jq_runner_start --workers 1 --poll-interval 0.2 -c "$JQ_TMP/jobq.ini"
jq_wait_sql "SELECT count(*) = 1 FROM jobq.runners" 20 ||
    jq_fail "runner did not register"

# kill_worker JOB: SIGKILL the (only) worker once JOB runs; prints its pid.
kill_worker() {
	local w
	jq_wait_sql "SELECT state = 'running' FROM jobq.jobs WHERE id = $1" \
	    20 || jq_fail "job $1 did not start"
	w=$(pgrep -P "$JQ_RUNNER_PID")
	[ -n "$w" ] && [ "$(echo "$w" | wc -l)" = 1 ] ||
	    jq_fail "want one worker, got \"$w\""
	kill -KILL "$w"
	echo "$w"
}

a=$(jq_sql "INSERT INTO jobq.jobs (kind, args, max_attempts)
    VALUES ('sleep', '{\"seconds\": 2}', 3) RETURNING id")
w1=$(kill_worker "$a")
jq_wait_sql "SELECT state = 'completed' FROM jobq.jobs WHERE id = $a" 30 ||
    jq_fail "job was not retried to completion"
jq_expect "retried once" "$(jq_sql "SELECT attempt || ':' ||
    jsonb_array_length(errors) || ':' || (errors->0->>'attempt')
    FROM jobq.jobs WHERE id = $a")" "2:1:1"
jq_expect "error names the signal" "$(jq_sql "SELECT errors->0->>'error'
    FROM jobq.jobs WHERE id = $a")" "worker killed by signal SIGKILL"
w2=$(pgrep -P "$JQ_RUNNER_PID")
[ -n "$w2" ] && [ "$w2" != "$w1" ] || jq_fail "no new worker: \"$w2\""
jq_log "ok: new worker $w2 replaced $w1"

b=$(jq_sql "INSERT INTO jobq.jobs (kind, args, max_attempts)
    VALUES ('sleep', '{\"seconds\": 30}', 1) RETURNING id")
kill_worker "$b" >/dev/null
jq_wait_sql "SELECT state = 'failed' FROM jobq.jobs WHERE id = $b" 30 ||
    jq_fail "job without attempts left did not fail"
jq_expect "no attempts left: failed" "$(jq_sql "SELECT attempt || ':' ||
    (errors->0->>'error') FROM jobq.jobs WHERE id = $b")" \
    "1:worker killed by signal SIGKILL"

c=$(jq_sql "INSERT INTO jobq.jobs (kind) VALUES ('noop') RETURNING id")
jq_wait_sql "SELECT state = 'completed' FROM jobq.jobs WHERE id = $c" 30 ||
    jq_fail "slot not back in service"
jq_log "ok: slot back in service"
kill -0 "$JQ_RUNNER_PID" || jq_fail "runner died"

d=$(jq_sql "INSERT INTO jobq.jobs (kind, max_attempts, timeout)
    VALUES ('spawner', 2, 600) RETURNING id")
for i in $(seq 100); do
	[ -s "$JQ_TMP/grandchild" ] && break
	sleep 0.1
done
[ -s "$JQ_TMP/grandchild" ] || jq_fail "program did not start"
gc=$(cat "$JQ_TMP/grandchild")
kill_worker "$d" >/dev/null
jq_wait_sql "SELECT state = 'completed' FROM jobq.jobs WHERE id = $d" 30 ||
    jq_fail "spawner job was not retried to completion"
jq_expect "grandchild dead when the retry began" "$(cat "$JQ_TMP/seen")" dead
alive "$gc" && jq_fail "grandchild $gc outlived its worker"
jq_expect "spawner retried once" "$(jq_sql "SELECT attempt || ':' ||
    (errors->0->>'error') FROM jobq.jobs WHERE id = $d")" \
    "2:worker killed by signal SIGKILL"
