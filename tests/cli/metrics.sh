#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifierd --metrics: its bad input, then a synthetic daemon (three
# processes with series of their own, the rest under pid="other") scraped
# by promtool and by a real Prometheus (Debian's, on loopback, native
# histograms on), which must store every process's native histograms and
# whose histogram_quantile(0.99) of the classic and of the native series
# (summed over the processes) must match notifierd's own p99 within 5%.
# No root needed.
# One line per check (tests/lib/tap.sh).
#
# Usage: tests/cli/metrics.sh     (after make)
# NOTIFIERD overrides the binary; PROMETHEUS and PROMTOOL the servers'.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIERD=${NOTIFIERD:-$top/build/notifierd}
PROMETHEUS=${PROMETHEUS:-prometheus}
PROMTOOL=${PROMTOOL:-promtool}
NTF_TAP_PREFIX="metrics: "
plan 26

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-metrics.XXXXXX") || exit 1
daemon_pid= prom_pid= hold_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for p in $daemon_pid $prom_pid $hold_pid; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -x "$NOTIFIERD" ] || { fail "binary" "$NOTIFIERD not built (run make)"; skip_rest "the rest" "no binary"; }
for t in curl jq "$PROMTOOL" "$PROMETHEUS"; do
	command -v "$t" >/dev/null 2>&1 || skip_rest "all" "$t not installed (tools/setup installs it)"
done

# run SECS CMD...: sets rc, $tmp/out and $tmp/err.
run() {
	local secs=$1

	shift
	timeout -k 5 "$secs" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# one_line_naming WANT: stderr is one line naming WANT; no stdout.
one_line_naming() { [ "$(wc -l <"$tmp/err")" = 1 ] && grep -qF -- "$1" "$tmp/err" && [ ! -s "$tmp/out" ]; }
# A TCP port nothing listens on now, from the kernel.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 30000))
}
# wait_for SECS CMD...: until CMD succeeds, for at most SECS.
wait_for() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# --- bad input: one line, non-zero exit ---

bad() {
	local name=$1 want=$2 code=$3

	shift 3
	run 10 "$NOTIFIERD" --synthetic --no-socket -q "$@"
	check_eq "$name: exit $code" "$rc" "$code"
	check "$name: says '$want' in one line" "stderr: $(tr '\n' '|' <"$tmp/err")" one_line_naming "$want"
}
bad "--metrics nonsense" "is not ADDR:PORT" 2 --metrics nonsense
bad "--metrics by name" "is not an IPv4 address" 2 --metrics localhost:9436
bad "--metrics port 0" "port '0'" 2 --metrics 127.0.0.1:0
bad "--metrics-per-process alone" "needs --metrics" 2 --metrics-per-process

port=$(free_port)
"$NOTIFIERD" --synthetic --no-socket -q --metrics "127.0.0.1:$port" >/dev/null 2>"$tmp/hold.err" &
hold_pid=$!
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/" || true
bad "port in use" "already in use" 1 --metrics "127.0.0.1:$port"
kill -TERM "$hold_pid" 2>/dev/null
wait "$hold_pid" 2>/dev/null
hold_pid=

# --- a synthetic daemon, scraped ---

port=$(free_port)
"$NOTIFIERD" --synthetic=7 --socket "$tmp/sock" -q -j --metrics "127.0.0.1:$port" \
	--metrics-per-process=3 >"$tmp/d.out" 2>"$tmp/d.err" &
daemon_pid=$!
url="http://127.0.0.1:$port/metrics"
if ! wait_for 10 curl -sf -o "$tmp/m.txt" "$url"; then
	fail "serves /metrics" "no answer at $url; $(head -n 2 "$tmp/d.err" | tr '\n' '|')"
	skip_rest "the rest" "no metrics server"
fi
pass "serves /metrics"
sleep 1
curl -s -o "$tmp/m.txt" -D "$tmp/m.hdr" "$url"
check "text by default" "$(grep -i content-type "$tmp/m.hdr")" \
	grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/m.hdr"
check "promtool check metrics" "$("$PROMTOOL" check metrics <"$tmp/m.txt" 2>&1 | head -n 3 | tr '\n' '|')" \
	"$PROMTOOL" check metrics <"$tmp/m.txt"
check "classic buckets, counters, origins" "$(head -c 300 "$tmp/m.txt")" \
	grep -q '^notifier_latency_seconds_bucket{class="callback",driver="kvm",callback="kvm_mmu_notifier_invalidate_range_start",le="+Inf"} [1-9]' "$tmp/m.txt"
pb='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3'
curl -s -o "$tmp/m.pb" -D "$tmp/pb.hdr" -H "Accept: $pb" "$url"
check "protobuf when asked" "$(grep -i content-type "$tmp/pb.hdr")" \
	grep -qi '^content-type: application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' "$tmp/pb.hdr"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing")
check_eq "404 elsewhere" "$code" 404

# --- a real Prometheus scrapes it every second ---

pport=$(free_port)
cat >"$tmp/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: notifierd
    static_configs:
      - targets: ['127.0.0.1:$port']
EOC
"$PROMETHEUS" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$pport" --enable-feature=native-histograms \
	>"$tmp/prom.log" 2>&1 &
prom_pid=$!
api="http://127.0.0.1:$pport/api/v1/query"
# query PROMQL: the first result's value, or nothing.
query() {
	curl -s --get --data-urlencode "query=$1" "$api" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
up_now() { [ "$(query 'up{job="notifierd"}')" = 1 ]; }
check "prometheus scrapes notifierd" "$(grep -m3 -i 'level=error\|level=warn' "$tmp/prom.log" | tr '\n' '|')" \
	wait_for 30 up_now

sel='class="callback",driver="kvm"'
classic_q="histogram_quantile(0.99, sum by (le) (rate(notifier_latency_seconds_bucket{$sel}[20s])))"
native_q="histogram_quantile(0.99, sum(rate(notifier_latency_native_seconds{$sel}[20s])))"
numeric() { [[ $1 =~ ^[0-9.e+-]+$ ]]; }
have_both() {
	classic=$(query "$classic_q")
	native=$(query "$native_q")
	numeric "$classic" && numeric "$native"
}
# 20 s of samples for the window, then until both answer
sleep 20
check "both quantiles answer" "classic '${classic:-}' native '${native:-}'" wait_for 20 have_both
series=$(curl -s --get --data-urlencode 'query=count(notifier_latency_native_seconds)' "$api" |
	jq -r '.data.result[0].value[1] // empty')
check "native series stored" "count(notifier_latency_native_seconds) is '$series'" \
	test "${series:-0}" -gt 0 2>/dev/null
pids=$(query 'count(count by (pid, comm) (notifier_latency_native_seconds{pid!=""}))')
check_eq "three processes and \"other\" stored" "${pids:-none}" 4

# The Grafana dashboard in the repo asks this Prometheus what its panels
# ask, variables set to "All": every query valid, every panel with data.
dash=$top/contrib/grafana/notifier.json
bad= empty=
while IFS= read -r q; do
	q=${q//\$__rate_interval/20s}
	q=${q//\$driver/.*}
	q=${q//\$class/.*}
	r=$(curl -s --get --data-urlencode "query=$q" "$api")
	if [ "$(jq -r .status <<<"$r" 2>/dev/null)" != success ]; then
		bad+="$q: $(jq -r .error <<<"$r" 2>/dev/null); "
	elif [ "$(jq '.data.result | length' <<<"$r")" = 0 ]; then
		empty+="$q; "
	fi
done < <(jq -r '.panels[].targets[].expr' "$dash")
check "dashboard: every query is valid PromQL" "$bad" test -z "$bad"
check "dashboard: every query has data" "$empty" test -z "$empty"

kill -TERM "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=
check_eq "notifierd exits 0 on SIGTERM" "$rc" 0
own=$(jq -r '.drivers.kvm.p99_ns // empty' "$tmp/d.out" 2>/dev/null | tail -n 1)
check "notifierd's own p99" "no .drivers.kvm.p99_ns in $(head -c 200 "$tmp/d.out")" numeric "$own"

# within PCT% of notifier's own p99 (in ns; PromQL says seconds)
within() { awk -v got="$1" -v own="$2" -v pct="$3" 'BEGIN {
	d = got * 1e9 - own; if (d < 0) d = -d; exit !(own > 0 && d <= own * pct / 100) }'; }
echo "# p99: notifier ${own:-?} ns, prometheus classic ${classic:-?} s, native ${native:-?} s"
check "classic p99 within 5% of notifier's" "classic ${classic:-?} s, notifier ${own:-?} ns" \
	within "${classic:-0}" "${own:-0}" 5
check "native p99 within 5% of notifier's" "native ${native:-?} s, notifier ${own:-?} ns" \
	within "${native:-0}" "${own:-0}" 5
kill -TERM "$prom_pid" 2>/dev/null
wait "$prom_pid" 2>/dev/null
prom_pid=
tap_done
