# it-prune.sh - finished jobs past the retention are deleted on the
# heartbeat, in batches of prune_batch rows; recent finished jobs and
# jobs that have not finished stay whatever their age; retention 0
# prunes nothing.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

cat >"$JQ_TMP/jobq.ini" <<EOF2
[runner]
poll_interval = 0.2
heartbeat_interval = 1
rescue_after = 3
prune_batch = 1000
EOF2

# The prune's index exists and the prune can read it.
jq_expect "jobs_finished_idx exists" "$(jq_sql "SELECT count(*)
    FROM pg_indexes WHERE indexname = 'jobs_finished_idx'")" 1

# 2500 old finished jobs (more than two batches), 30 finished a minute
# ago, and unfinished jobs created long ago: due ones of a queue that is
# paused (so the runner leaves them alone) and scheduled ones.
seed() {
	jq_sql "INSERT INTO jobq.jobs (kind, state, attempt, created_at,
	    started_at, finished_at)
	    SELECT 'noop', (ARRAY['completed', 'failed',
	        'cancelled'])[1 + i % 3]::jobq.job_state, 1,
	        now() - interval '3 hours', now() - interval '2 hours',
	        now() - interval '2 hours' - i * interval '1 ms'
	    FROM generate_series(1, 2500) AS i;
	    INSERT INTO jobq.jobs (kind, state, attempt, created_at,
	    started_at, finished_at)
	    SELECT 'noop', (ARRAY['completed', 'failed',
	        'cancelled'])[1 + i % 3]::jobq.job_state, 1,
	        now() - interval '3 hours', now() - interval '2 minutes',
	        now() - interval '1 minute'
	    FROM generate_series(1, 30) AS i;
	    INSERT INTO jobq.queues (name, paused) VALUES ('held', true)
	        ON CONFLICT (name) DO UPDATE SET paused = true;
	    INSERT INTO jobq.jobs (kind, queue, created_at, run_at)
	    SELECT 'noop', 'held', now() - interval '30 days',
	        now() - interval '30 days' FROM generate_series(1, 20);
	    INSERT INTO jobq.jobs (kind, created_at, run_at)
	    SELECT 'noop', now() - interval '30 days', now() + interval '1 day'
	    FROM generate_series(1, 20)"
}
count() {
	jq_sql "SELECT count(*) FILTER (WHERE finished_at
	        < now() - interval '1 hour') || ':' ||
	    count(*) FILTER (WHERE finished_at
	        >= now() - interval '1 hour') || ':' ||
	    count(*) FILTER (WHERE state = 'available') FROM jobq.jobs"
}
seed
jq_expect "seeded" "$(count)" "2500:30:40"

# retention 0: nothing is pruned, however old.
jq_runner_start -c "$JQ_TMP/jobq.ini" --retention 0 --id keep
sleep 4
kill -0 "$JQ_RUNNER_PID" || jq_fail "runner with --retention 0 died"
jq_expect "--retention 0 prunes nothing" "$(count)" "2500:30:40"
jq_runner_stop_all
grep -q "retention 0 s" "$JQ_TMP/runner-0.log" ||
    jq_fail "runner did not report retention 0"
if grep -q pruned "$JQ_TMP/runner-0.log"; then
	jq_fail "--retention 0 logged a prune"
fi

# --once works due jobs only: no prune either.
"$JQ_RUNNER" -c "$JQ_TMP/jobq.ini" --retention 3600 --once \
    >"$JQ_TMP/once.log" 2>&1 || jq_fail "--once failed"
jq_expect "--once prunes nothing" "$(count)" "2500:30:40"

# Two runners with a one-hour retention prune at once; SKIP LOCKED
# keeps them apart.  The old ones go, nothing else does.
jq_runner_start -c "$JQ_TMP/jobq.ini" --retention 3600 --id p1
jq_runner_start -c "$JQ_TMP/jobq.ini" --retention 3600 --id p2
jq_wait_sql "SELECT count(*) = 0 FROM jobq.jobs
    WHERE finished_at < now() - interval '1 hour'" 30 ||
    jq_fail "old finished jobs were not pruned: $(count)"
sleep 2
jq_expect "recent finished and unfinished jobs remain" "$(count)" "0:30:40"
jq_expect "unfinished ones untouched" "$(jq_sql "SELECT count(*)
    FROM jobq.jobs WHERE state = 'available' AND attempt = 0
    AND created_at < now() - interval '29 days'")" 40
# (lib.sh numbers the logs afresh after a stop: p1 appends to
# runner-0.log, whose retention-0 run logged no prune.)
pruned=$(cat "$JQ_TMP"/runner-*.log |
    sed -n 's/.*pruned \([0-9]*\) finished jobs older than 3600 s.*/\1/p' |
    awk '{ n += $1 } END { print n + 0 }')
jq_expect "logged prune counts add up" "$pruned" 2500
jq_runner_stop_all

# The prune can take the partial index in finished_at order (the table
# is too small now for the planner to prefer it on its own).
plan=$(jq_sql "SET enable_seqscan = off; SET enable_sort = off;
    EXPLAIN SELECT id FROM jobq.jobs
    WHERE state IN ('completed', 'failed', 'cancelled')
    AND finished_at < now() - interval '1 hour'
    ORDER BY finished_at LIMIT 1000 FOR UPDATE SKIP LOCKED")
case $plan in
*jobs_finished_idx*) jq_log "ok: prune uses jobs_finished_idx" ;;
*) jq_fail "prune does not use jobs_finished_idx: $plan" ;;
esac

# Bad values are refused.
printf '[runner]\nprune_batch = 0\n' >"$JQ_TMP/bad.ini"
if "$JQ_RUNNER" -n -c "$JQ_TMP/bad.ini" >/dev/null 2>&1; then
	jq_fail "prune_batch = 0 accepted"
fi
printf '[runner]\nretention = 1d\n' >"$JQ_TMP/bad.ini"
if "$JQ_RUNNER" -n -c "$JQ_TMP/bad.ini" >/dev/null 2>&1; then
	jq_fail "retention = 1d accepted"
fi
if "$JQ_RUNNER" -n --retention -1 >/dev/null 2>&1; then
	jq_fail "--retention -1 accepted"
fi
printf '[runner]\nretention = 0\nprune_batch = 100000\n' >"$JQ_TMP/ok.ini"
"$JQ_RUNNER" -n -c "$JQ_TMP/ok.ini" >/dev/null ||
    jq_fail "retention = 0, prune_batch = 100000 refused"
jq_log "ok: settings checked"
