# it-exec.sh - exec handlers: stdout becomes the result, the environment
# names the job, exit 65 fails at once, stderr's tail is the error.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start
jq_apache_start 2

mkdir -p "$JQ_TMP/bin"
cat >"$JQ_TMP/bin/describe" <<'SH'
#!/bin/sh
# Prints JSON naming the job, and the args it read on stdin.
args=$(cat)
printf '{"id":"%s","kind":"%s","queue":"%s","attempt":"%s","args":%s}\n' \
    "$JOBQ_JOB_ID" "$JOBQ_KIND" "$JOBQ_QUEUE" "$JOBQ_ATTEMPT" "$args"
SH
cat >"$JQ_TMP/bin/text" <<'SH'
#!/bin/sh
echo "plain text, not JSON"
SH
cat >"$JQ_TMP/bin/dataerr" <<'SH'
#!/bin/sh
echo "the input makes no sense" >&2
exit 65
SH
chmod 755 "$JQ_TMP"/bin/*
cat >"$JQ_TMP/jobq.ini" <<EOF2
[kind.describe]
exec = $JQ_TMP/bin/describe
[kind.text]
exec = $JQ_TMP/bin/text
[kind.dataerr]
exec = $JQ_TMP/bin/dataerr
[kind.checksum]
exec = $top_srcdir/examples/checksum
EOF2
"$JQ_RUNNER" -n -c "$JQ_TMP/jobq.ini" >/dev/null ||
    jq_fail "config check failed"
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 2 --poll-interval 0.2

code=$(jq_post_json /jobs '{"kind":"describe","queue":"q1",
    "args":{"n":[1,2,{"x":"y"}]}}')
jq_expect "POST describe" "$code" 201
d_id=$(jq_json_field id)
jq_post_json /jobs '{"kind":"text"}' >/dev/null
t_id=$(jq_json_field id)
jq_post_json /jobs '{"kind":"dataerr"}' >/dev/null
e_id=$(jq_json_field id)
printf 'hello jobq\n' >"$JQ_TMP/file.txt"
chmod 644 "$JQ_TMP/file.txt"
jq_post_json /jobs "{\"kind\":\"checksum\",
    \"args\":{\"path\":\"$JQ_TMP/file.txt\"}}" >/dev/null
c_id=$(jq_json_field id)

jq_wait_sql "SELECT count(*) = 4 FROM jobq.jobs
    WHERE state IN ('completed', 'failed')" 20 ||
    jq_fail "exec jobs did not finish"

jq_expect "stdout JSON is the result" "$(jq_sql "SELECT
    result->>'id' = id::text AND result->>'kind' = 'describe'
    AND result->>'queue' = 'q1' AND result->>'attempt' = '1'
    AND result->'args' = args FROM jobq.jobs WHERE id = $d_id")" t
jq_expect "text stdout is a JSON string" "$(jq_sql "SELECT
    jsonb_typeof(result) || ':' || (result #>> '{}')
    FROM jobq.jobs WHERE id = $t_id")" "string:plain text, not JSON"
jq_expect "exit 65 fails at once" "$(jq_sql "SELECT state || ':' ||
    attempt FROM jobq.jobs WHERE id = $e_id")" "failed:1"
jq_expect "stderr is the error" "$(jq_sql "SELECT errors->0->>'error'
    LIKE '%the input makes no sense%' FROM jobq.jobs WHERE id = $e_id")" t
want=$(sha256sum "$JQ_TMP/file.txt" | cut -d' ' -f1)
jq_expect "checksum example" "$(jq_sql "SELECT result->>'digest'
    FROM jobq.jobs WHERE id = $c_id")" "$want"
