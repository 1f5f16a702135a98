# it-fault-many-runners.sh - issue 3, point 8: three runners started
# together on one database drain 20,000 noop jobs; each job completes
# exactly once: one attempt, no errors, no job lost.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

N=20000
jq_sql "INSERT INTO jobq.jobs (kind) SELECT 'noop'
    FROM generate_series(1, $N)"
for r in one two three; do
	jq_runner_start --workers 4 --poll-interval 0.5 --id "$r"
done
jq_wait_sql "SELECT count(*) = $N FROM jobq.jobs WHERE state = 'completed'" \
    110 || jq_fail "not drained: $(jq_sql "SELECT state, count(*)
        FROM jobq.jobs GROUP BY 1")"
jq_expect "completed" "$(jq_sql "SELECT count(*) FROM jobq.jobs
    WHERE state = 'completed'")" $N
jq_expect "each exactly once" "$(jq_sql "SELECT count(*) FROM jobq.jobs
    WHERE attempt = 1 AND errors = '[]' AND finished_at IS NOT NULL")" $N
jq_expect "only our runners" "$(jq_sql "SELECT count(*) FROM jobq.jobs
    WHERE runner NOT IN ('one', 'two', 'three')")" 0
for p in "${JQ_RUNNER_PIDS[@]}"; do
	kill -0 "$p" || jq_fail "runner $p died"
done
jq_runner_stop_all TERM
jq_expect "runners left cleanly" "$(jq_sql "SELECT count(*)
    FROM jobq.runners")" 0
jq_log "jobs per runner: $(jq_sql "SELECT string_agg(runner || '=' || n,
    ' ') FROM (SELECT runner, count(*) n FROM jobq.jobs GROUP BY 1) x")"
