# it-enqueue.sh - a job enqueued over HTTP through Apache and mod_fcgid
# runs in the runner's pool and shows completed in psql and over HTTP.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start
jq_apache_start 4
# A long poll interval: only the NOTIFY wake-up can start jobs quickly.
jq_runner_start --workers 2 --poll-interval 60

jq_wait_sql "SELECT count(*) = 1 FROM jobq.runners" 10 ||
    jq_fail "runner did not register"

code=$(jq_post_json /jobs '{"kind":"echo","args":{"hello":"world"}}')
jq_expect "POST /jobs" "$code" 201
id=$(jq_json_field id)
jq_expect "new job is available" "$(jq_json_field state)" available
jq_expect "default queue" "$(jq_json_field queue)" default
jq_expect "default max_attempts" "$(jq_json_field max_attempts)" 25

jq_wait_sql "SELECT state = 'completed' FROM jobq.jobs WHERE id = $id" 15 ||
    jq_fail "job $id not completed (wake-up or run failed)"
jq_expect "echo result" \
    "$(jq_sql "SELECT result->>'hello' FROM jobq.jobs WHERE id = $id")" world
jq_expect "one attempt" \
    "$(jq_sql "SELECT attempt FROM jobq.jobs WHERE id = $id")" 1

code=$(jq_http GET "/jobs/$id")
jq_expect "GET /jobs/$id" "$code" 200
jq_expect "GET shows completed" "$(jq_json_field state)" completed
for f in id queue kind args priority state attempt max_attempts run_at \
    created_at started_at finished_at runner timeout unique_key errors \
    result; do
	grep -q "\"$f\"" "$JQ_TMP/body" || jq_fail "job JSON lacks $f"
done
jq_log "ok: job JSON has every documented field"

code=$(jq_http GET /health)
jq_expect "GET /health" "$code" 200

# Every field of the request, and the built-in handlers.
code=$(jq_post_json /jobs '{"kind":"sleep","args":{"seconds":0.2},
    "queue":"slow","priority":5,"max_attempts":3}')
jq_expect "POST sleep" "$code" 201
sleep_id=$(jq_json_field id)
jq_expect "queue stored" "$(jq_json_field queue)" slow
jq_expect "priority stored" "$(jq_json_field priority)" 5
jq_post_json /jobs '{"kind":"fail","max_attempts":1}' >/dev/null
fail_id=$(jq_json_field id)
jq_post_json /jobs '{"kind":"no.such.kind","max_attempts":1}' >/dev/null
unknown_id=$(jq_json_field id)
jq_post_json /jobs '{"kind":"noop","run_at":"2000-01-01T00:00:00Z"}' \
    >/dev/null
noop_id=$(jq_json_field id)

jq_wait_sql "SELECT count(*) = 4 FROM jobq.jobs WHERE id IN
    ($sleep_id, $fail_id, $unknown_id, $noop_id)
    AND state IN ('completed', 'failed')" 20 ||
    jq_fail "built-in handler jobs did not finish"
jq_expect "sleep completed" \
    "$(jq_sql "SELECT state FROM jobq.jobs WHERE id = $sleep_id")" completed
jq_expect "fail failed" \
    "$(jq_sql "SELECT state FROM jobq.jobs WHERE id = $fail_id")" failed
jq_expect "fail error recorded" "$(jq_sql "SELECT jsonb_array_length(errors)
    = 1 AND errors->0->>'attempt' = '1' AND errors->0 ? 'at'
    FROM jobq.jobs WHERE id = $fail_id")" t
jq_expect "unknown kind fails" "$(jq_sql "SELECT state || ':' ||
    (errors->0->>'error' LIKE '%no handler for kind%')
    FROM jobq.jobs WHERE id = $unknown_id")" "failed:true"
jq_expect "past run_at runs" \
    "$(jq_sql "SELECT state FROM jobq.jobs WHERE id = $noop_id")" completed

# A graceful stop: exit 0 and the runner's row is gone.
kill -TERM "$JQ_RUNNER_PID"
wait "$JQ_RUNNER_PID"
jq_expect "runner exit status" "$?" 0
JQ_RUNNER_PIDS=()
jq_expect "runner row removed" \
    "$(jq_sql "SELECT count(*) FROM jobq.runners")" 0
