#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Benchmarks, reported as ratios against a baseline run side by side:
#  1. host: decoding + aggregating events (synthetic) vs copying them;
#     the aggregate's update as it is against the same code before fine
#     buckets, built from history, on the same events (bench_before.sh);
#     one callback-discovery pass, with this machine's processes and
#     with 2000 more; the trace file's writer and reader (events/s on one
#     core, bytes an event) vs write() of the raw records; the CTF export;
#     the probes' handlers in ns per call, run by BPF_PROG_TEST_RUN on this
#     kernel (which attaches neither fentry nor kprobes), against what a
#     bpftrace script of the same histogram does (tests/bench/bench_handler.c);
#     notifierd's and notifier-top's resident memory at 10,000 and 100,000
#     keys (tests/bench/bench_memory.sh); a BPF policy's cost a judged
#     event by the portable backend, against the pipeline's (bench_policy.sh);
#  2. VM: a KVM madvise loop untraced, and under each tracer a user might
#     run on the same functions (tests/bench/vm-bench.sh): notifier hist
#     by fentry and by kprobes, notifierd streaming, bpftrace by kfunc and
#     by kprobe, libbpf-tools' funclatency; and, to split notifier's cost,
#     notifier hist with its process stopped and bpftrace with empty
#     bodies (the trampolines alone); one table of ratios against the
#     untraced runs of the same rounds, with min, median and max;
#     before them, in the same guest, the probes' handlers alone by
#     BPF_PROG_TEST_RUN (bench_handler): the clock reads every timing tool
#     makes, notifier's handlers in parts, a bpftrace script's; and after
#     them, in a round of its own, the programs' run time on the loop by
#     the kernel's statistics, notifier hist -P's and bpftrace's;
#  3. VM: other notifier-heavy workloads (KVM madvise and munmap loops,
#     io_uring pins, each at 1x, 4x and 16x event rates; reclaim by
#     MADV_PAGEOUT) untraced, under notifier hist -P and under bpftrace's
#     histograms of the same functions;
#  4. VM (6.12): the test driver's loop untraced and under notifierd with
#     a policy judged in the kernel by the companion module's struct_ops
#     type and in the daemon by the portable backend, beside notifierd
#     without either (tests/bench/bench_policy_vm.sh).
# Timings in the VM are an emulator's: only the ratios mean anything.
#
# Usage: tests/bench/run.sh [OUT] [--short] [--tables]
#   --short   one round of 200 calls, each other workload at one rate,
#             and small host counts: the harness checked (every mode
#             gives a figure), the figures not worth quoting. The results go to OUT/results.txt either way.
#   --tables  nothing run: the VM tables again from an earlier run's OUT
#             (its results.txt keeps the host part; ROUNDS, WROUNDS and
#             CALLS must be the run's own)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/lib.sh"
short=0
tables=0
out=
for a in "$@"; do
	case $a in
	--short) short=1 ;;
	--tables) tables=1 ;;
	-*) die "unknown option '$a'" ;;
	*) out=$a ;;
	esac
done
out=${out:-$top/build/bench}
results=$out/results.txt

if [ $short = 1 ]; then
	rounds=1 wrounds=1 calls=200 host_events=200000 pipe_rounds=2
	before_args=(--runs 1 10)
else
	rounds=${ROUNDS:-5} wrounds=${WROUNDS:-3} calls=${CALLS:-20000} host_events=2000000
	# each mode's best of 15 rounds: a noisy host's slow spells last seconds
	pipe_rounds=15
	before_args=(--runs 7 --ir 10 1000)
fi

if [ $tables = 1 ]; then
	[ -f "$results" ] || die "$out has no results.txt of an earlier run"
	# the host part stays; the VM tables are made again below
	sed -i '/^== VM/,$d' "$results"
else
	rm -rf "$out"
	mkdir -p "$out"
	# bpftrace and funclatency: what users run today, from Debian; valgrind counts instructions
	ensure_pkgs bpftrace libbpf-tools jq valgrind
	make -s -C "$top" all static
	make -s -C "$top/tests/bench" OUT="$top/build/bench-bin"
	{
		echo "notifier benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)$([ $short = 1 ] && echo ', short mode')"
		echo "host: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
	} | tee "$results"
	echo "== host: decode + aggregate" | tee -a "$results"
	"$top/build/bench-bin/bench_pipeline" 1000 $pipe_rounds | tee -a "$results"
	# the same with few keys, all in the CPU's caches
	"$top/build/bench-bin/bench_pipeline" 10 $pipe_rounds | tee -a "$results"
	echo "== host: the aggregate's update, as it is and before fine buckets" | tee -a "$results"
	# a clone without the older commit (shallow) says so and gives no figure
	rc=0
	"$top/tests/bench/bench_before.sh" "${before_args[@]}" >"$out/before.txt" 2>"$out/before.err" || rc=$?
	tee -a "$results" <"$out/before.txt"
	if [ $rc = 3 ]; then
		tee -a "$results" <"$out/before.err"
	elif [ $rc != 0 ] || ! grep -q '^10 ' "$out/before.txt"; then
		die "bench_before.sh gave no figure: $(tail -3 "$out/before.err")"
	fi
	echo "== host: one callback-discovery pass" | tee -a "$results"
	"$top/build/bench-bin/bench_discovery" | tee -a "$results"
	echo "== host: the trace file, written and read, against write() of the raw records" | tee -a "$results"
	"$top/build/bench-bin/bench_record" $host_events "$out" | tee -a "$results"
	echo "== host: notifier report --ctf, events into a CTF trace" | tee -a "$results"
	"$top/build/bench-bin/bench_ctf" $host_events "$out" | tee -a "$results"
	echo "== host: the probes' handlers, run by BPF_PROG_TEST_RUN on this kernel" | tee -a "$results"
	"$top/build/bench-bin/bench_handler" $((host_events / 10)) | tee -a "$results"
	echo "== host: a BPF policy by the portable backend (notifier policy test), a run an event judged" |
		tee -a "$results"
	"$top/tests/bench/bench_policy.sh" "$top/build" $([ $short = 1 ] && echo 1 || echo 5) |
		tee -a "$results"
	echo "== host: memory, fed synthetic events at 400,000/s" | tee -a "$results"
	"$top/tests/bench/bench_memory.sh" "$top/build" $([ $short = 1 ] && echo 3 || echo 20) |
		tee -a "$results"

	make -s -C "$top/tests/workloads" OUT="$top/build/workloads"
	"$top/tests/vm/run-vm.sh" --scenario "$top/tests/bench/vm-bench.sh" --out "$out" \
		--timeout $((1800 + (rounds + 2 * wrounds) * calls / 50)) \
		--append "ROUNDS=$rounds WROUNDS=$wrounds CALLS=$calls SHORT=$short" \
		--file "$top/build/static/notifier" --file "$top/build/static/notifierd" \
		--file "$top/build/workloads/wl-kvm" --file "$top/build/workloads/wl-pin" \
		--file "$top/build/workloads/wl-reclaim" --file "$top/tests/workloads/setup-zram-swap.sh" \
		--dyn "$top/build/bench-bin/bench_handler" --dyn "$(command -v bpftool)" \
		--dyn "$(command -v bpftrace)" --dyn /usr/sbin/funclatency >"$out/run-vm.log" 2>&1 ||
		die "VM benchmark failed; see $out/run-vm.log"
fi

modes="none hist hist_idle hist_k hist_one stream bt_kfunc bt_kprobe bt_empty funclat"
# the workload's time: reclaim's is its MADV_PAGEOUT call
elapsed() { jq -r '.elapsed_ns // .pageout_ns // empty' "$1" 2>/dev/null; }
# ratios MODE [PREFIX]: per round, its time over the mean of that round's
# two untraced runs; "min median max" of them, or nothing. PREFIX names
# a workload of the second part (w-NAME-RATE-).
ratios() {
	local r a b m p=${2:-}

	for ((r = 1; r <= rounds || r <= wrounds; r++)); do
		a=$(elapsed "$out/bench-${p}none-$r.json")
		b=$(elapsed "$out/bench-${p}none_end-$r.json")
		m=$(elapsed "$out/bench-${p}$1-$r.json")
		[ -n "$a" ] && [ -n "$b" ] && [ -n "$m" ] || continue
		awk -v a="$a" -v b="$b" -v m="$m" 'BEGIN { printf "%.6f\n", 2 * m / (a + b) }'
	done | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[1], v[int((NR + 1) / 2)], v[NR] }'
}
# seen MODE: did its tracer see the loop (a non-empty histogram of it)?
seen() {
	local f n=0

	for f in "$out"/bench-"$1"-*.trace; do
		[ -f "$f" ] || continue
		case $1 in
		hist | hist_idle | hist_k | hist_one | stream) grep '^{' "$f" | tail -n1 | jq -e '.classes.inval_start.count > 0' >/dev/null ;;
		w-*-hist) grep '^{' "$f" | tail -n1 | jq -e '[.classes[].count] | add > 0' >/dev/null ;;
		bt_empty) grep -q '^Attaching 9 probes' "$f" ;; # eight and BEGIN
		w-*-bt_all) grep -q '^@h\[' "$f" ;;
		bt_*) grep -q '^@h\[inval_start' "$f" ;;
		funclat) grep -q '[1-9][0-9]* *|\*' "$f" ;;
		esac && n=$((n + 1))
	done
	echo $n
}

[ -n "$(ratios none)" ] || die "the untraced runs gave no figure; see $out"
kernel=$(cat "$out/kernel.txt" 2>/dev/null || echo unknown)
missing=()
{
	echo "== VM (kernel $kernel, emulated): the probes' handlers, run by BPF_PROG_TEST_RUN in the guest"
	if grep -q 'bpftrace-like' "$out/handler.txt" 2>/dev/null; then
		cat "$out/handler.txt"
	else
		missing+=(handler)
		echo "no figure: see $out/handler.err"
	fi
} >"$out/table-handler.txt" # not a pipe: missing must outlive the block
tee -a "$results" <"$out/table-handler.txt"
{
	echo "== VM (kernel $kernel, emulated): KVM madvise loop of $calls calls, $rounds round(s);"
	echo "   per round, the time over the mean of its two untraced runs (first and last)"
	printf '%-34s %-8s %8s %8s %8s %8s\n' mode probes min median max added
	for m in $modes; do
		read -r lo med hi <<<"$(ratios $m)"
		if [ -z "${med:-}" ] || { [ $m != none ] && [ "$(seen $m)" = 0 ]; }; then
			missing+=("$m")
			printf '%-34s no figure: see %s\n' "$m" "$out/bench-$m-1.err"
			continue
		fi
		case $m in
		none) label="untraced (first of the round)" probes=- ;;
		hist) label="notifier hist -P" probes=fentry ;;
		hist_idle) label="notifier hist -P, process stopped" probes=fentry ;;
		hist_k) label="notifier hist -P -k" probes=kprobe ;;
		hist_one) label="notifier hist -k -e inval_start" probes=kprobe ;;
		stream) label="notifierd (every event streamed)" probes=fentry ;;
		bt_kfunc) label="bpftrace, same histograms" probes=fentry ;;
		bt_kprobe) label="bpftrace, same histograms" probes=kprobe ;;
		bt_empty) label="bpftrace, empty bodies" probes=fentry ;;
		funclat) label="funclatency (one function)" probes=kprobe ;;
		esac
		awk -v l="$label" -v p="$probes" -v lo="$lo" -v med="$med" -v hi="$hi" 'BEGIN {
			printf "%-34s %-8s %8.3f %8.3f %8.3f %+7.1f%%\n", l, p, lo, med, hi, (med - 1) * 100 }'
	done
} >"$out/table-modes.txt" # not a pipe: missing must outlive the block
tee -a "$results" <"$out/table-modes.txt"

# notifier's added cost against each baseline of the same mechanism
ratio() { # MODE BASE: median added time of mode over base's
	local a b
	read -r _ a _ <<<"$(ratios "$1")"
	read -r _ b _ <<<"$(ratios "$2")"
	[ -n "${a:-}" ] && [ -n "${b:-}" ] && awk -v a="$a" -v b="$b" \
		'BEGIN { if (b > 1.005) printf "%.2f", (a - 1) / (b - 1); else print "n/a (the baseline adds under 0.5%)" }'
}
handlers_ratio() { # MODE BASE FLOOR: (mode - floor) over (base - floor), medians
	local a b f
	read -r _ a _ <<<"$(ratios "$1")"
	read -r _ b _ <<<"$(ratios "$2")"
	read -r _ f _ <<<"$(ratios "$3")"
	[ -n "${a:-}" ] && [ -n "${b:-}" ] && [ -n "${f:-}" ] && awk -v a="$a" -v b="$b" -v f="$f" \
		'BEGIN { if (b - f > 0.005) printf "%.2f", (a - f) / (b - f); else print "n/a (bpftrace adds under 0.5% above the floor)" }'
}
{
	echo "notifier hist -P's added time over bpftrace's, fentry: $(ratio hist bt_kfunc) (target <= 0.5)"
	echo "notifier hist -P -k's added time over bpftrace's, kprobe: $(ratio hist_k bt_kprobe) (target <= 0.5)"
	echo "the same, fentry, above the trampolines' floor (bpftrace's empty bodies): $(handlers_ratio hist bt_kfunc bt_empty)"
	echo "notifier hist -P's added time with its process stopped over running: $(ratio hist_idle hist)"
	echo "notifier hist -P -k's added time over funclatency's (kprobe; it times 1 function, notifier 4): $(ratio hist_k funclat)"
	echo "notifier hist -k -e inval_start's over funclatency's (kprobe, the same one function): $(ratio hist_one funclat) (target < 1)"
	drops=0
	for f in "$out"/bench-stream-*.trace; do
		[ -f "$f" ] || continue
		d=$(grep '^{' "$f" | tail -n1 | jq '.counters.ringbuf_drops // 0')
		drops=$((drops + ${d:-0}))
	done
	echo "ring buffer drops over all streaming rounds: $drops"
} | tee -a "$results"
declare -A prog_ns # by mode: its programs' ns over the loop
# prog_time MODE: "programs runs ns" its programs added over the loop (ids
# and counters from bpftool before and after), or nothing
prog_time() {
	local a=$out/stats-$1-after.json b=$out/stats-$1-before.json

	[ -s "$a" ] && [ -s "$b" ] || return 0
	jq -rn --slurpfile a "$a" --slurpfile b "$b" '
		($b[0] | map({ key: (.id | tostring), value: . }) | from_entries) as $was
		| [ $a[0][] | { runs: ((.run_cnt // 0) - ($was[.id | tostring].run_cnt // 0)),
				ns: ((.run_time_ns // 0) - ($was[.id | tostring].run_time_ns // 0)) }
		    | select(.runs > 0) ]
		| "\(length) \(map(.runs) | add // 0) \(map(.ns) | add // 0)"'
}
{
	echo "== VM: the programs' own run time over one loop of $calls calls (kernel.bpf_stats_enabled,"
	echo "   a round apart from the timed ones): what the kernel counted per call of the loop"
	printf '%-34s %-8s %9s %10s %10s %9s\n' mode probes programs 'runs/call' 'ns/call' 'ns/run'
	for m in hist bt_kfunc hist_one funclat; do
		read -r progs runs ns <<<"$(prog_time $m)"
		case $m in
		hist) label="notifier hist -P" probes=fentry ;;
		bt_kfunc) label="bpftrace, same histograms" probes=fentry ;;
		hist_one) label="notifier hist -k -e inval_start" probes=kprobe ;;
		funclat) label="funclatency (one function)" probes=kprobe ;;
		esac
		if [ "${runs:-0}" -le 0 ]; then
			missing+=("stats-$m")
			printf '%-34s no figure: see %s\n' "$label" "$out/bench-$m-stats.err"
			continue
		fi
		awk -v l="$label" -v m="$probes" -v p="$progs" -v r="$runs" -v n="$ns" -v c="$calls" 'BEGIN {
			printf "%-34s %-8s %9d %10.1f %10.0f %9.0f\n", l, m, p, r / c, n / c, n / r }'
		prog_ns[$m]=$ns
	done
	if [ -n "${prog_ns[hist]:-}" ] && [ -n "${prog_ns[bt_kfunc]:-}" ]; then
		awk -v a="${prog_ns[hist]}" -v b="${prog_ns[bt_kfunc]}" 'BEGIN {
			printf "notifier hist -P'"'"'s program time over bpftrace'"'"'s: %.2f\n", a / b }'
	fi
	if [ -n "${prog_ns[hist_one]:-}" ] && [ -n "${prog_ns[funclat]:-}" ]; then
		awk -v a="${prog_ns[hist_one]}" -v b="${prog_ns[funclat]}" 'BEGIN {
			printf "notifier hist -k -e inval_start'"'"'s program time over funclatency'"'"'s: %.2f\n", a / b }'
	fi
} >"$out/table-stats.txt"
tee -a "$results" <"$out/table-stats.txt"
# the second part: other workloads, notifier hist -P and bpftrace side by side
wl_label() {
	case $1 in
	madvise) echo "KVM madvise loop" ;;
	munmap) echo "KVM munmap loop" ;;
	pin) echo "io_uring buffer pins" ;;
	reclaim) echo "reclaim (MADV_PAGEOUT)" ;;
	esac
}
# events W R: the events notifier hist counted in its last run of it
events() {
	local f
	f=$(ls "$out"/bench-w-$1-$2-hist-*.trace 2>/dev/null | tail -n1)
	[ -n "$f" ] && grep '^{' "$f" | tail -n1 | jq '[.classes[].count] | add // 0'
}
{
	echo "== VM: other workloads, $wrounds round(s); rate: the same pages in calls of 64, 16, 4;"
	echo "   added time (median of the rounds) under notifier hist -P and bpftrace's"
	echo "   histograms of the same functions (kfunc), and notifier's over bpftrace's"
	printf '%-24s %5s %9s %10s %10s %8s\n' workload rate events notifier bpftrace ratio
	for d in "$out"/bench-w-*-hist-1.json; do
		[ -f "$d" ] || continue
		w=${d#"$out"/bench-w-}
		w=${w%-hist-1.json}
		name=${w%-*} rate=${w##*-}
		read -r _ n _ <<<"$(ratios hist "w-$w-")"
		read -r _ b _ <<<"$(ratios bt_all "w-$w-")"
		if [ -z "${n:-}" ] || [ -z "${b:-}" ] || [ "$(seen "w-$w-hist")" = 0 ] ||
			[ "$(seen "w-$w-bt_all")" = 0 ]; then
			missing+=("w-$w")
			printf '%-24s %4sx no figure: see %s\n' "$(wl_label $name)" $rate "$out/bench-w-$w-hist-1.err"
			continue
		fi
		awk -v l="$(wl_label $name)" -v r=$rate -v e="$(events $name $rate)" -v n="$n" -v b="$b" 'BEGIN {
			printf "%-24s %4sx %9s %+9.1f%% %+9.1f%% %8s\n", l, r, e, (n - 1) * 100, (b - 1) * 100,
				(b - 1 > 0.005 ? sprintf("%.2f", (n - 1) / (b - 1)) : "n/a") }'
	done
} >"$out/table-workloads.txt"
tee -a "$results" <"$out/table-workloads.txt"
# 4. where policies judge: in the kernel (struct_ops) or the daemon (portable), 6.12
if [ $tables = 0 ]; then
	if [ $short = 1 ]; then
		"$top/tests/bench/bench_policy_vm.sh" "$out/policy-vm" 1 2000
	else
		"$top/tests/bench/bench_policy_vm.sh" "$out/policy-vm" 5 20000
	fi | tee -a "$results" || missing+=(policy-vm)
fi
echo "results in $results"
[ ${#missing[@]} -eq 0 ] || die "no figure for: ${missing[*]}"
