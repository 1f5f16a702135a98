# it-fault-output.sh - issue 3, point 7: handler output PostgreSQL cannot
# store as it is (NUL bytes, invalid UTF-8, a JSON \u0000 escape,
# megabytes on stdout or stderr) is cleaned and cut to JOBQ_MAX_RESULT
# (1 MiB) and JOBQ_MAX_ERROR (4 KiB), so every job reaches a final state;
# stderr written just before a quick exit is not lost.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
jq_setup
jq_pg_start

mkdir -p "$JQ_TMP/bin"
cat >"$JQ_TMP/bin/garbage" <<'SH'
#!/bin/sh
printf 'a\000b\377c\300\200d\n'
SH
cat >"$JQ_TMP/bin/nuljson" <<'SH'
#!/bin/sh
printf '{"a": "x\\u0000y"}\n'
SH
# 3 MB of bytes that are each invalid UTF-8.
cat >"$JQ_TMP/bin/bigout" <<'SH'
#!/bin/sh
head -c 3000000 /dev/zero | tr '\000' '\377'
SH
# 5 MB on stderr, with NULs and invalid bytes, ending in a known line.
cat >"$JQ_TMP/bin/noisy" <<'SH'
#!/bin/sh
head -c 5000000 /dev/urandom >&2
printf '\000\377 the end\n' >&2
exit 1
SH
# Last words on stderr right before a quick exit must not be lost.
printf '#!/bin/sh\necho "last words" >&2\nexit 3\n' >"$JQ_TMP/bin/quick"
chmod 755 "$JQ_TMP"/bin/*
{
	echo "[runner]"
	echo "poll_interval = 0.2"
	for k in garbage nuljson bigout noisy quick; do
		printf '[kind.%s]\nexec = %s\n' "$k" "$JQ_TMP/bin/$k"
	done
} >"$JQ_TMP/jobq.ini"

jq_sql "INSERT INTO jobq.jobs (kind, max_attempts) VALUES ('garbage', 1),
    ('nuljson', 1), ('bigout', 1), ('noisy', 1)"
jq_sql "INSERT INTO jobq.jobs (kind, max_attempts) SELECT 'quick', 1
    FROM generate_series(1, 30)"
jq_runner_start -c "$JQ_TMP/jobq.ini" --workers 2
jq_wait_sql "SELECT count(*) = 34 FROM jobq.jobs
    WHERE state IN ('completed', 'failed')" 60 ||
    jq_fail "not every job reached a final state: $(jq_sql "SELECT kind,
        state FROM jobq.jobs")"

jq_expect "NUL and invalid UTF-8 replaced" "$(jq_sql "SELECT state || ':' ||
    (result #>> '{}') FROM jobq.jobs WHERE kind = 'garbage'")" \
    "completed:a�b�c��d"
jq_expect "JSON with \\u0000 kept as text" "$(jq_sql "SELECT state || ':' ||
    jsonb_typeof(result) FROM jobq.jobs WHERE kind = 'nuljson'")" \
    "completed:string"
jq_expect "3 MB of bad stdout cut to 1 MiB" "$(jq_sql "SELECT state ||
    ':' || (octet_length(result #>> '{}') BETWEEN 1048000 AND 1048576)
    FROM jobq.jobs WHERE kind = 'bigout'")" "completed:true"
jq_expect "5 MB of stderr: the tail, at most 4 KiB" "$(jq_sql "SELECT
    state || ':' || (octet_length(errors->0->>'error') <= 4096) || ':' ||
    (errors->0->>'error' LIKE '%� the end')
    FROM jobq.jobs WHERE kind = 'noisy'")" "failed:true:true"
jq_expect "stderr of quick exits kept" "$(jq_sql "SELECT count(*)
    FROM jobq.jobs WHERE kind = 'quick' AND state = 'failed'
    AND errors->0->>'error' = 'last words'")" 30
grep -q 'cannot record' "$JQ_TMP/runner-0.log" &&
    jq_fail "an outcome was refused: $(grep 'cannot record' \
        "$JQ_TMP/runner-0.log")"
jq_log "ok: every outcome recorded as it came"
