#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Guest half of the probe-overhead benchmark: the same KVM madvise loop
# untraced and under each tracer a user might run on these functions,
# interleaved over ROUNDS rounds so drift in the emulator hits all alike.
# Results: bench-MODE-N.json (the workload's), bench-MODE-N.trace (the
# tracer's output), bench-MODE-N.err.
#
# Modes, like with like: fentry/fexit (notifier hist, bpftrace kfunc),
# kprobes (notifier hist -k, bpftrace kprobe, funclatency), and notifierd
# streaming every event (fentry). bpftrace's scripts keep what notifier
# hist -P keeps for this loop: a latency histogram per class and process,
# of the notifier chain's start and end and KVM's two callbacks (eight
# programs); funclatency times one function, the chain's start, and
# hist_one is notifier hist doing the same job (-k -e inval_start). Each
# round runs the loop untraced first and last: a mode's ratio is to the
# mean of the two, which takes out the emulator's drift within a round.
# Two more split notifier's cost: hist_idle is notifier hist -P with its
# process stopped for the loop (the probes alone, without the tool's own
# user-space work), bt_empty is bpftrace with empty bodies on the same
# eight functions (the trampolines alone: the floor under any handler).
#
# First, the probes' handlers alone, in the guest (bench_handler): its
# clock reads, what notifier's handlers add to them and what a bpftrace
# script's do. Results: handler.txt. After the timed rounds, the
# programs' own run time on the loop by the kernel's statistics, for
# notifier hist -P and bpftrace (kfunc): see STATS_MODES below.
#
# Then other notifier-heavy workloads, WROUNDS rounds of untraced,
# notifier hist -P and bpftrace (kfunc) histograms of every function
# notifier probes that this kernel has, untraced again: KVM madvise and
# munmap loops and io_uring pins, each at 1x, 4x and 16x event rates (the
# same pages in calls of 64, 16 and 4 pages), and reclaim by MADV_PAGEOUT
# (one unmap and one invalidate a page: one rate). Results:
# bench-w-WORKLOAD-RATE-MODE-N.json.

R=$NTF_RESULTS
ROUNDS=${ROUNDS:-5}
CALLS=${CALLS:-20000}
WL="wl-kvm --op madvise --iterations $CALLS --pages 16"
MODES=${MODES:-none hist hist_idle hist_k hist_one stream bt_kfunc bt_kprobe bt_empty funclat}
# WORKLOAD:RATE pairs of the second part; empty: none. The short mode
# (the test suite's) runs each workload at one rate: the rates differ in
# arguments alone, and each bpftrace start costs half a minute emulated.
if [ "${SHORT:-0}" = 1 ]; then
	WORKLOADS=${WORKLOADS-madvise:4 munmap:1 pin:16 reclaim:1}
else
	WORKLOADS=${WORKLOADS-madvise:1 madvise:4 madvise:16 munmap:1 munmap:4 munmap:16 pin:1 pin:4 pin:16 reclaim:1}
fi

# The handlers' own cost in this guest, by BPF_PROG_TEST_RUN: steadier
# than the wall-clock rounds below, and with the guest's clock read in it.
bench_handler ${HANDLER_LOOPS:-20000} >"$R/handler.txt" 2>"$R/handler.err"

modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
# One VM held for the run: no run toggles KVM's static key in __schedule
# (text patching that has crashed the emulated guest).
wl-kvm --iterations 1 --pages 1 --hold >/dev/null 2>&1 &
KVM_KEEPER=$!
uname -r >"$R/kernel.txt"

# bt_script fentry|kprobe|empty: the bpftrace program of that mechanism;
# empty: kfunc probes that do nothing.
# bt_timed IN OUT N FN CLASS: FN's latency into the histogram of CLASS,
# its start kept in @sN by thread, as bpftrace's probes IN and OUT see it.
bt_timed() {
	echo "$1:$4 { @s$3[tid] = nsecs; }"
	echo "$2:$4 /@s$3[tid]/ { @h[\"$5\", pid, comm] = hist(nsecs - @s$3[tid]); delete(@s$3[tid]); }"
}

bt_script() {
	if [ "$1" = kprobe ]; then
		in=kprobe out=kretprobe
	else
		in=kfunc out=kretfunc
	fi
	# BEGIN runs once every probe is attached: the loop must not run
	# while trampolines are still being patched in (the emulated guest
	# has hung on that)
	printf '%s\n' 'BEGIN { printf("ready\n"); }' # echo may expand the \n
	n=0
	for f in __mmu_notifier_invalidate_range_start:inval_start \
		__mmu_notifier_invalidate_range_end:inval_end \
		kvm_mmu_notifier_invalidate_range_start:callback \
		kvm_mmu_notifier_invalidate_range_end:callback; do
		fn=${f%%:*} class=${f#*:}
		if [ "$1" = empty ]; then
			echo "$in:$fn { }"
			echo "$out:$fn { }"
		else
			bt_timed $in $out $n $fn $class
		fi
		n=$((n + 1))
	done
}
bt_script fentry >/tmp/bt-fentry.bt
bt_script kprobe >/tmp/bt-kprobe.bt
bt_script empty >/tmp/bt-empty.bt

# Every function notifier hist probes, as bpftrace kfunc histograms of the
# same keys: the timed ones by class, the unpins counted. Not
# pin_user_pages_remote: 6.1's trampolines take at most 6 arguments, and
# it has 7 there (notifier takes it by kprobe; bpftrace's kfunc fails).
bt_all() {
	printf '%s\n' 'BEGIN { printf("ready\n"); }' # echo may expand the \n
	n=0
	for f in __mmu_notifier_invalidate_range_start:inval_start \
		__mmu_notifier_invalidate_range_end:inval_end \
		kvm_mmu_notifier_invalidate_range_start:callback \
		kvm_mmu_notifier_invalidate_range_end:callback try_to_unmap_one:unmap \
		pin_user_pages:pin pin_user_pages_fast:pin pin_user_pages_fast_only:pin \
		pin_user_pages_unlocked:pin \
		dma_fence_wait_timeout:fence_wait; do
		fn=${f%%:*} class=${f#*:}
		grep -qw -- "$fn" /proc/kallsyms || continue
		bt_timed kfunc kretfunc $n $fn $class
		n=$((n + 1))
	done
	for fn in unpin_user_page unpin_user_pages unpin_user_pages_dirty_lock \
		unpin_user_page_range_dirty_lock unpin_user_folio unpin_folios; do
		grep -qw -- "$fn" /proc/kallsyms || continue
		echo "kfunc:$fn { @unpin[pid, comm] = count(); }"
	done
}
bt_all >/tmp/bt-all.bt

# start MODE ROUND: the mode's tracer in the background, once it is live
# (0), or 1 when it died or never said so (its .err says why).
start() {
	out=$R/bench-$1-$2
	case $1 in
	hist | hist_idle | w-*-hist) notifier hist -j -P >"$out.trace" 2>"$out.err" & ;;
	hist_k) notifier hist -j -P -k >"$out.trace" 2>"$out.err" & ;;
	# funclatency's job: the chain's start alone, one histogram, kprobes
	hist_one) notifier hist -j -k -e inval_start >"$out.trace" 2>"$out.err" & ;;
	stream) notifierd -j --no-pin --no-socket >"$out.trace" 2>"$out.err" & ;;
	bt_kfunc) bpftrace /tmp/bt-fentry.bt >"$out.trace" 2>"$out.err" & ;;
	bt_kprobe) bpftrace /tmp/bt-kprobe.bt >"$out.trace" 2>"$out.err" & ;;
	bt_empty) bpftrace /tmp/bt-empty.bt >"$out.trace" 2>"$out.err" & ;;
	w-*-bt_all) bpftrace /tmp/bt-all.bt >"$out.trace" 2>"$out.err" & ;;
	funclat) funclatency __mmu_notifier_invalidate_range_start >"$out.trace" 2>"$out.err" & ;;
	esac
	T=$!
	i=0
	# notifier hist's "Tracing MMU-notifier", notifierd's "tracing;",
	# bpftrace's BEGIN "ready"; funclatency's "Tracing" waits in a
	# full stdout buffer, so its kprobe is looked for
	while ! grep -q -e '^Tracing MMU' -e 'tracing;' -e '^ready' "$out.trace" "$out.err" \
		2>/dev/null &&
		! { [ $1 = funclat ] &&
			grep -q __mmu_notifier_invalidate_range_start /sys/kernel/debug/kprobes/list; }; do
		if ! kill -0 $T 2>/dev/null || [ $i -ge 1800 ]; then
			kill -9 $T 2>/dev/null
			wait $T
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	# a moment for the tracer's last output to settle
	sleep 1
}

# where TASK's threads wait, in the kernel and by state
task_stacks() {
	local t

	for t in /proc/$1/task/*; do
		echo "-- ${t##*/}: $(grep '^State' $t/status 2>/dev/null)"
		cat $t/stack 2>/dev/null
	done
}

stop() {
	local i=0 up0 up1 killed=0

	read up0 _ </proc/uptime
	kill -CONT $T
	kill -INT $T
	while kill -0 $T 2>/dev/null && [ $i -lt $((STOP_TMO * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
		# a tracer slow to go: where it waits, every 30 s
		[ $((i % 300)) = 0 ] && task_stacks $T >>"$R/bench-$1-$2.stuck"
	done
	read up1 _ </proc/uptime
	echo "$up0 $up1" | awk '{ print $2 - $1 }' >"$R/bench-$1-$2.stop"
	if kill -0 $T 2>/dev/null; then
		echo "== $1, round $2: the tracer was still there ${STOP_TMO}s after SIGINT: killed"
		kill -9 $T
		killed=1
	fi
	wait $T
	echo $? >"$R/bench-$1-$2.rc"
	[ $killed = 0 ]
}

# traced MODE ROUND CMD...: CMD's run under MODE's tracer, its output in
# bench-MODE-ROUND.json. A tracer killed at its stop printed nothing of
# what it saw, so the run is made once more. Rare: bpftrace 0.17 has
# stayed after SIGINT a handful of times in some hundreds of starts
# here, where it takes 3 s to go (bench-MODE-ROUND.stuck says where it
# waited).
traced() {
	local m=$1 r=$2 try

	shift 2
	for try in 1 2; do
		start $m $r || return 1
		[ $m = hist_idle ] && kill -STOP $T
		run "$@" >"$R/bench-$m-$r.json" 2>>"$R/bench-$m-$r.err"
		stop $m $r && return 0
		[ $try = 1 ] && echo "== $m, round $r: once more"
	done
	return 1
}

# A run that hangs (a workload stuck under a tracer, a tracer that does
# not let go) costs its mode that round, not the whole benchmark: the
# guest's limit would end it all, and a round took minutes (a run of the
# loop about 20 s emulated). Its .json is then empty: no figure.
RUN_TMO=${RUN_TMO:-900}
STOP_TMO=${STOP_TMO:-120}
run() {
	timeout -s KILL "$RUN_TMO" "$@"
	local rc=$?

	[ $rc -eq 137 ] && echo "== $*: killed after ${RUN_TMO}s" >/dev/console
	return $rc
}

# A warm-up run, not counted: the first run of a fresh guest is slower.
run $WL >/dev/null
r=1
while [ $r -le "$ROUNDS" ]; do
	# untraced at both ends of the round: its baseline is their mean
	for m in $MODES none_end; do
		echo "== $m, round $r" # progress, on the console
		case $m in
		none | none_end)
			run $WL >"$R/bench-$m-$r.json"
			continue
			;;
		esac
		traced $m $r $WL
	done
	r=$((r + 1))
done

# The programs' own run time over one loop, by the kernel's statistics
# (kernel.bpf_stats_enabled), in a round of each of STATS_MODES apart from
# the timed ones (the statistics add two clock reads to every program
# run): every program's run_time_ns and run_cnt, as bpftool shows them,
# just before the loop and just after. Results: stats-MODE-before.json,
# stats-MODE-after.json.
for m in ${STATS_MODES-hist bt_kfunc hist_one funclat}; do
	echo "== $m, BPF statistics"
	echo 1 >/proc/sys/kernel/bpf_stats_enabled || break
	for try in 1 2; do # as in traced: a tracer killed at its stop, once more
		start $m stats || break
		bpftool prog show -j >"$R/stats-$m-before.json"
		run $WL >"$R/bench-$m-stats.json"
		bpftool prog show -j >"$R/stats-$m-after.json"
		stop $m stats && break
	done
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
done

# wl_cmd WORKLOAD RATE: the workload's command at that event rate
UNIT=$((CALLS / 16)) # calls of 64 pages at 1x
[ $UNIT -ge 4 ] || UNIT=4
wl_cmd() {
	case $1 in
	madvise | munmap) echo "wl-kvm --op $1 --iterations $((UNIT * $2)) --pages $((64 / $2))" ;;
	pin) echo "wl-pin --rounds $UNIT --buffers $((4 * $2)) --pages $((64 / $2))" ;;
	reclaim) echo "wl-reclaim --pages $((UNIT * 4))" ;;
	esac
}
if [ -n "$WORKLOADS" ]; then
	setup-zram-swap.sh 256M >"$R/swap.txt" 2>&1
	r=1
	while [ $r -le "${WROUNDS:-3}" ]; do
		for w in $WORKLOADS; do
			name=${w%%:*} rate=${w#*:}
			cmd=$(wl_cmd $name $rate)
			for m in none hist bt_all none_end; do
				id=w-$name-$rate-$m
				echo "== $id, round $r"
				case $m in
				none | none_end)
					run $cmd >"$R/bench-$id-$r.json" 2>"$R/bench-$id-$r.err"
					continue
					;;
				esac
				traced $id $r $cmd
			done
		done
		r=$((r + 1))
	done
	setup-zram-swap.sh --off >/dev/null 2>&1
fi

# A text report for people to read, from the same kernel.
if [ "${SHORT:-0}" = 0 ]; then
	notifier hist -u >"$R/hist-example.txt" 2>&1 &
	t=$!
	i=0
	while ! grep -q '^Tracing MMU' "$R/hist-example.txt" && [ $i -lt 1200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	wl-kvm --op munmap --iterations 200 --pages 64 >/dev/null
	kill -INT $t
	wait $t
fi
kill -TERM $KVM_KEEPER 2>/dev/null
wait $KVM_KEEPER
exit 0
