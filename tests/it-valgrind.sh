# it-valgrind.sh - one jobq.fcgi process under valgrind's memcheck, behind
# real Apache, answers 10,000 mixed good and bad requests with no memory
# error, no definite leak, and no more memory in use at exit than after
# 1,000 requests.  JOBQ_SKIP_SLOW=1 skips it (exit 77).
source "$top_srcdir/tests/lib.sh"
if [ "${JOBQ_SKIP_SLOW:-0}" = 1 ]; then
	echo "# skipped: JOBQ_SKIP_SLOW=1"
	exit 77
fi
command -v valgrind >/dev/null || { echo "# skipped: no valgrind"; exit 77; }
N=${JOBQ_VALGRIND_REQUESTS:-10000}
jq_setup
jq_pg_start

# One curl config option; VALUE is quoted for curl's config syntax.
opt() {
	printf '%s = "%s"\n' "$1" "$(printf '%s' "$2" | sed 's/["\\]/\\&/g')"
}

# post URL JSON: a POST of JSON.
post() {
	opt url "$1"
	opt header 'Content-Type: application/json'
	opt data-binary "$2"
}

# The request mix, one curl config block each; 13 kinds, good and bad.
# @I@ stands for the request's number.
mix() {
	local b=$1 i k blocks=()
	blocks[0]=$(post "$b/jobs" '{"kind":"noop","args":{"i":@I@}}')
	blocks[1]=$(post "$b/jobs" '{"kind": "x",, }')
	blocks[2]=$(post "$b/jobs" '{"kind": "x", "colour": 1}')
	blocks[3]=$(opt url "$b/jobs/1")
	blocks[4]=$(opt url "$b/jobs?limit=5&state=available&after=@I@")
	blocks[5]=$(opt url "$b/nowhere%0a")
	blocks[6]=$(opt url "$b/jobs"; opt request DELETE)
	blocks[7]=$(post "$b/jobs/batch" \
	    '{"jobs": [{"kind": "a"}, {"kind": "b", "queue": "q"}]}')
	blocks[8]=$(opt url "$b/metrics")
	blocks[9]=$(opt url "$b/queues")
	blocks[10]=$(opt url "$b/jobs/1/cancel"; opt request POST)
	blocks[11]=$(post "$b/jobs" '{"kind": "u", "args": {"s": "a\u0000"}}')
	blocks[12]=$(post "$b/jobs" \
	    '{"kind": "u", "unique_key": "k", "delay": 3600}')
	for k in "${!blocks[@]}"; do
		blocks[k]="$(opt output /dev/null; opt write-out \
		    '%{http_code}\n')"$'\n'"${blocks[k]}"$'\nnext'
	done
	for (( i = 0; i < $2; i++ )); do
		k=${blocks[i % 13]}
		echo "${k//@I@/$i}"
	done
	# An option after the last "next" ends the list cleanly.
	opt url "$b/health"
	opt output /dev/null
	opt write-out '%{http_code}\n'
}

# run REQUESTS: a fresh Apache whose only jobq.fcgi runs under valgrind;
# sets VG_LOG.
run() {
	local n=$1 vg i
	jq_apache_start 1
	vg="$JQ_TMP/vg-$n"
	mkdir -p "$vg"
	chmod 777 "$vg"
	VG_LOG="$vg/memcheck.log"
	# mod_fcgid starts the program at the first request: replace the
	# copy it will start by a wrapper that runs it under valgrind.
	mv "$JOBQ_FCGI_BIN" "$JOBQ_FCGI_BIN.real"
	cat >"$JOBQ_FCGI_BIN" <<-SH
	#!/bin/sh
	echo \$\$ >"$vg/pid"
	exec valgrind --leak-check=full --errors-for-leak-kinds=definite \
	    --error-exitcode=99 --log-file="$VG_LOG" "$JOBQ_FCGI_BIN.real"
	SH
	chmod 755 "$JOBQ_FCGI_BIN"
	mix "$JQ_BASE" "$n" >"$JQ_TMP/curl.cfg"
	jq_log "sending $n requests"
	curl -s --max-time 30 -K "$JQ_TMP/curl.cfg" >"$JQ_TMP/codes" ||
	    jq_fail "curl failed after $(wc -l <"$JQ_TMP/codes") requests"
	jq_expect "$n requests and a /health answered" \
	    "$(grep -c '^[1-5][0-9][0-9]$' "$JQ_TMP/codes")" "$((n + 1))"
	grep -q '^500$\|^502$\|^503$\|^504$' "$JQ_TMP/codes" &&
	    jq_fail "server errors: $(sort "$JQ_TMP/codes" | uniq -c)"
	jq_log "status counts: $(sort "$JQ_TMP/codes" | uniq -c | xargs)"
	# SIGTERM makes the app leave its accept loop and exit normally,
	# so valgrind checks the heap.
	kill -TERM "$(cat "$vg/pid")"
	for i in $(seq 300); do
		grep -q 'ERROR SUMMARY' "$VG_LOG" 2>/dev/null && break
		sleep 0.1
	done
	grep -q 'ERROR SUMMARY' "$VG_LOG" || jq_fail "valgrind did not finish"
	jq_apache_stop
	grep -q 'ERROR SUMMARY: 0 errors' "$VG_LOG" ||
	    jq_fail "memcheck errors: $(cat "$VG_LOG")"
	grep -q 'definitely lost: [1-9]\|indirectly lost: [1-9]' "$VG_LOG" &&
	    jq_fail "leak: $(grep -A30 'definitely lost' "$VG_LOG" | head -60)"
	jq_log "ok: $n requests, no memory error, no definite leak"
}

# Bytes in use at exit, from valgrind's HEAP SUMMARY.
in_use() {
	sed -n 's/.*in use at exit: \([0-9,]*\) bytes.*/\1/p' "$1" | tr -d ,
}

run 1000
small=$(in_use "$VG_LOG")
run "$N"
large=$(in_use "$VG_LOG")
jq_log "in use at exit: $small bytes after 1000, $large after $N"
# Some slack for buffers sized by the largest response seen.
[ "$large" -le $(( small + 32768 )) ] ||
    jq_fail "memory grows with requests: $small -> $large bytes"
jq_log "ok: no growth"
