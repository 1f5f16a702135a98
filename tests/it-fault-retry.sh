# it-fault-retry.sh - issue 3, point 1: a failed attempt goes back to
# available with run_at = now() + backoff(attempt), within the cap and
# never in the past, even for huge attempt numbers; each error is kept
# with its attempt and time; attempts run out into failed; exit 65
# fails at once; max_attempts defaults to 25.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

mkdir -p "$JQ_TMP/bin"
printf '#!/bin/sh\necho "bad data" >&2\nexit 65\n' >"$JQ_TMP/bin/dataerr"
chmod 755 "$JQ_TMP/bin/dataerr"
cat >"$JQ_TMP/jobq.ini" <<EOF2
[runner]
poll_interval = 0.2
heartbeat_interval = 1
rescue_after = 3
[kind.dataerr]
exec = $JQ_TMP/bin/dataerr
EOF2

jq_expect "default max_attempts" "$(jq_sql "INSERT INTO jobq.jobs (kind)
    VALUES ('noop') RETURNING max_attempts")" 25
jq_sql "DELETE FROM jobq.jobs"

# Three attempts of a job that always fails, and jobs whose next attempt
# numbers are huge (the SQL allows any max_attempts).
f=$(jq_sql "INSERT INTO jobq.jobs (kind, max_attempts, args) VALUES
    ('fail', 3, '{\"message\": \"boom\"}') RETURNING id")
d=$(jq_sql "INSERT INTO jobq.jobs (kind, max_attempts) VALUES
    ('dataerr', 5) RETURNING id")
big=$(jq_sql "INSERT INTO jobq.jobs (kind, attempt, max_attempts) VALUES
    ('fail', 29, 100), ('fail', 999, 1001),
    ('fail', 2147483645, 2147483647) RETURNING id" | tr '\n' ,)
big=${big%,}
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 2

# After the first attempt: available again, 1 to 2 s later (2^1 with
# equal jitter), the error recorded with attempt 1 and its time.
jq_wait_sql "SELECT attempt = 1 AND state = 'available'
    FROM jobq.jobs WHERE id = $f" 30 ||
    jq_fail "first attempt was not put back"
jq_expect "first retry: run_at = at + 1..2 s" "$(jq_sql "SELECT
    run_at - (errors->0->>'at')::timestamptz
        BETWEEN interval '1 s' AND interval '2 s'
    AND errors->0->>'attempt' = '1' AND errors->0->>'error' = 'boom'
    FROM jobq.jobs WHERE id = $f")" t

jq_wait_sql "SELECT state = 'failed' FROM jobq.jobs WHERE id = $f" 30 ||
    jq_fail "job did not fail after 3 attempts"
jq_expect "attempts used" "$(jq_sql "SELECT attempt || ':' ||
    jsonb_array_length(errors) FROM jobq.jobs WHERE id = $f")" "3:3"
jq_expect "errors numbered 1, 2, 3 with times" "$(jq_sql "SELECT
    string_agg(e->>'attempt', ',' ORDER BY n) || ':' ||
    bool_and((e->>'at')::timestamptz IS NOT NULL)
    FROM jobq.jobs, jsonb_array_elements(errors) WITH ORDINALITY AS x(e, n)
    WHERE id = $f")" "1,2,3:true"
# Each retry waited at least half of 2^attempt after the failure.
jq_expect "backoff grows" "$(jq_sql "SELECT
    (errors->1->>'at')::timestamptz - (errors->0->>'at')::timestamptz
        >= interval '1 s'
    AND (errors->2->>'at')::timestamptz - (errors->1->>'at')::timestamptz
        >= interval '2 s'
    AND finished_at IS NOT NULL FROM jobq.jobs WHERE id = $f")" t

jq_wait_sql "SELECT state = 'failed' FROM jobq.jobs WHERE id = $d" 30 ||
    jq_fail "exit 65 job did not fail"
jq_expect "exit 65: failed at once" "$(jq_sql "SELECT attempt || ':' ||
    jsonb_array_length(errors) || ':' || (errors->0->>'error')
    FROM jobq.jobs WHERE id = $d")" "1:1:bad data"

# Huge attempt numbers: a finite delay within the one-hour cap (and at
# least half of it, the jitter's floor), never in the past.
jq_wait_sql "SELECT bool_and(jsonb_array_length(errors) = 1)
    FROM jobq.jobs WHERE id IN ($big)" 30 ||
    jq_fail "huge-attempt jobs did not fail once"
jq_expect "huge attempts: delay within the cap" "$(jq_sql "SELECT
    bool_and(state = 'available' AND run_at > now()
    AND run_at - (errors->0->>'at')::timestamptz
        BETWEEN interval '1800 s' AND interval '3600 s')
    FROM jobq.jobs WHERE id IN ($big)")" t
jq_expect "INT_MAX - 1 attempt kept" "$(jq_sql "SELECT max(attempt)
    FROM jobq.jobs WHERE id IN ($big)")" 2147483646
