# it-concurrent.sh - 200 concurrent POSTs from several clients are all
# stored exactly once, and two runners run each exactly once.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start
jq_apache_start 8

N=200
seq 1 $N | xargs -P 10 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    --max-time 60 -H 'Content-Type: application/json' \
    --data-binary '{"kind":"record","args":{"n":{}}}' "$JQ_BASE/jobs" \
    >"$JQ_TMP/codes"
jq_expect "all answered 201" "$(grep -c '^201$' "$JQ_TMP/codes")" $N
jq_expect "rows stored" "$(jq_sql "SELECT count(*) FROM jobq.jobs")" $N
jq_expect "each request stored once" \
    "$(jq_sql "SELECT count(DISTINCT args->>'n') FROM jobq.jobs")" $N

# The handler appends its job id to one file; short appends are atomic.
cat >"$JQ_TMP/record" <<SH
#!/bin/sh
echo "\$JOBQ_JOB_ID" >>"$JQ_TMP/ran"
SH
chmod 755 "$JQ_TMP/record"
printf '[kind.record]\nexec = %s\n' "$JQ_TMP/record" >"$JQ_TMP/jobq.ini"
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 3 --poll-interval 0.2
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 3 --poll-interval 0.2
jq_wait_sql "SELECT count(*) = $N FROM jobq.jobs WHERE state = 'completed'" \
    60 || jq_fail "not every job completed"
jq_expect "every job ran on the first attempt" \
    "$(jq_sql "SELECT count(*) FROM jobq.jobs WHERE attempt = 1")" $N
jq_expect "handler ran N times" "$(wc -l <"$JQ_TMP/ran")" $N
jq_expect "handler ran each job once" "$(sort -u "$JQ_TMP/ran" | wc -l)" $N
