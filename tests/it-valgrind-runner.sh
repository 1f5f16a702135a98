# it-valgrind-runner.sh - the runner's parent under valgrind's memcheck
# works a few thousand mixed jobs (built-in, exec, failing, unknown kinds)
# with no memory error, no definite leak, and no more memory in use at
# exit after 2,000 jobs than after 200.  JOBQ_SKIP_SLOW=1 skips it.
source "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
if [ "${JOBQ_SKIP_SLOW:-0}" = 1 ]; then
	echo "# skipped: JOBQ_SKIP_SLOW=1"
	exit 77
fi
command -v valgrind >/dev/null || jq_fail "valgrind missing"
jq_setup
jq_pg_start

cat >"$JQ_TMP/shout" <<'SH'
#!/bin/sh
tr a-z A-Z | sed 's/^/"/; s/$/"/'
SH
chmod 755 "$JQ_TMP/shout"
printf '[kind.shout]\nexec = %s\n' "$JQ_TMP/shout" >"$JQ_TMP/jobq.ini"

# work N: enqueue N mixed jobs, drain them with a runner under valgrind,
# print the bytes still in use at exit.
work() {
	local n=$1 log="$JQ_TMP/valgrind-$1.log"
	jq_sql "TRUNCATE jobq.jobs"
	jq_sql "INSERT INTO jobq.jobs (kind, args, max_attempts)
	    SELECT (ARRAY['noop', 'echo', 'fail', 'shout', 'nosuch'])
	        [1 + i % 5], jsonb_build_object('i', i), 1
	      FROM generate_series(1, $n) AS i"
	# The workers are forks of the parent and run under valgrind too;
	# only the parent's report is wanted.
	valgrind --leak-check=full --errors-for-leak-kinds=definite \
	    --child-silent-after-fork=yes --error-exitcode=99 \
	    --log-file="$log" \
	    "$JQ_RUNNER" --once --workers 2 -c "$JQ_TMP/jobq.ini" \
	    >>"$JQ_TMP/runner-valgrind.log" 2>&1
	local rc=$?
	[ "$rc" = 0 ] || { cat "$log" >&2; jq_fail "runner exit $rc"; }
	jq_expect "$n jobs finished" "$(jq_sql "SELECT count(*) FROM jobq.jobs
	    WHERE state IN ('completed', 'failed')")" "$n"
	grep -q 'ERROR SUMMARY: 0 errors' "$log" ||
	    { cat "$log" >&2; jq_fail "memcheck errors after $n jobs"; }
	grep -q 'definitely lost: 0 bytes' "$log" ||
	    grep -q 'All heap blocks were freed' "$log" ||
	    { cat "$log" >&2; jq_fail "definite leak after $n jobs"; }
	sed -n 's/.*in use at exit: \([0-9,]*\) bytes.*/\1/p' "$log" |
	    tr -d ,
}

small=$(work 200)
large=$(work 2000)
jq_log "in use at exit: $small bytes after 200 jobs, $large after 2000"
[ "$large" -le "$small" ] || jq_fail "memory in use grows with jobs"
jq_log "ok: no growth"
