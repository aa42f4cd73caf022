#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Guest half of the spine tests: runs each workload under a tracer and
# saves both sides' JSON in /results. The host half (tests/vm/spine-test.sh)
# compares what the tracer saw with what the workload knows it caused.
#
# Each case NAME leaves NAME.trace.json (tracer stdout), NAME.trace.err,
# NAME.trace.rc, NAME.wl.json (workload stdout), NAME.wl.err, NAME.wl.rc.

R=$NTF_RESULTS
CASES=${NTF_CASES:-"bucket_bpf kvm_madvise kvm_munmap kvm_mprotect kvm_kprobe kvm_classes kvm_cow kvm_cow_hist kvm_exited stream reclaim pin fence testdrv testdrv_fence attrib attrib_kprobe testdrv_by record record_filter record_kill record_stacks record_stacks_kprobe record_driver record_pin flight rotate daemon_stacks policy policy_ops policy_swap policy_gated hotplug discover discover_classic first_calls first_calls_classic"}

modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
modprobe vgem
uname -r >"$R/kernel.txt"
# KVM's first VM turns on a static key in __schedule (preempt notifiers) and
# its last VM turns it off: text patching on a live vCPU, which has crashed
# the emulated guest (an int3 oops in __schedule, soft lockups). One VM held
# for the whole run keeps every later VM from patching that text.
wl-kvm --iterations 1 --pages 1 --hold >/dev/null 2>&1 &
KVM_KEEPER=$!
# The companion module where the host built one (6.9 and later): policies
# then judge in the kernel, through its struct_ops type.
if [ -f /root/notifier_policy.ko ]; then
	insmod /root/notifier_policy.ko >"$R/policy_module.err" 2>&1
	echo $? >"$R/policy_module.rc"
fi
# Without the test module the cases that need it are not run; the host
# half reads the reason from testdrv.unavailable.
TESTDRV_CASES="testdrv testdrv_fence attrib attrib_kprobe testdrv_by record record_filter record_driver record_stacks record_stacks_kprobe daemon_stacks policy policy_ops policy_swap policy_gated hotplug discover discover_classic first_calls first_calls_classic"
if [ -f /etc/ntf-testdrv-unavailable ]; then
	cp /etc/ntf-testdrv-unavailable "$R/testdrv.unavailable"
elif ! modprobe ntf_testdrv 2>"$R/testdrv.modprobe.err"; then
	echo "modprobe ntf_testdrv failed: $(cat "$R/testdrv.modprobe.err")" \
		>"$R/testdrv.unavailable"
fi

# wait_line FILE PATTERN PID: until FILE has a line matching PATTERN; 1
# when PID died first or two minutes passed.
wait_line() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		if ! kill -0 "$3" 2>/dev/null || [ $i -ge 1200 ]; then
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

# Starts a tracer in the background and waits for it to say it is live.
tracer_start() {
	name=$1
	shift
	"$@" >"$R/$name.trace.json" 2>"$R/$name.trace.err" &
	TPID=$!
	i=0
	while ! grep -q -e '^Tracing' -e 'tracing;' "$R/$name.trace.err" 2>/dev/null; do
		if ! kill -0 $TPID 2>/dev/null || [ $i -ge 1200 ]; then
			echo "tracer for $name did not start" >>"$R/$name.trace.err"
			kill -9 $TPID 2>/dev/null
			wait $TPID
			echo 125 >"$R/$name.trace.rc"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

tracer_stop() {
	kill -INT $TPID
	wait $TPID
	echo $? >"$R/$1.trace.rc"
}

# Runs a workload with --hold and returns once it has printed its report;
# it then waits, so the tracer stops before the exit's own invalidations.
workload_held() {
	name=$1
	shift
	"$@" --hold >"$R/$name.wl.json" 2>"$R/$name.wl.err" &
	WPID=$!
	while ! grep -q '^{' "$R/$name.wl.json" 2>/dev/null; do
		if ! kill -0 $WPID 2>/dev/null; then
			wait $WPID
			echo $? >"$R/$name.wl.rc"
			WPID=
			return 1
		fi
		sleep 0.05
	done
}

workload_release() {
	[ -n "$WPID" ] || return
	kill -TERM $WPID
	wait $WPID
	echo $? >"$R/$1.wl.rc"
}

# in_cgroup NAME CMD...: CMD as a process of cgroup /NAME (made), in
# place of the caller: run it in a subshell or in the background.
in_cgroup() {
	mkdir -p "/sys/fs/cgroup/$1"
	exec sh -c 'echo $$ >"/sys/fs/cgroup/$0/cgroup.procs" && exec "$@"' "$@"
}

# One tracer around one workload.
traced() {
	name=$1
	tracer=$2
	shift 2
	# shellcheck disable=SC2086 # the tracer command is a word list
	tracer_start "$name" $tracer || return
	workload_held "$name" "$@"
	tracer_stop "$name"
	workload_release "$name"
}

# A tracer first, then a workload that registers through callbacks no
# table lists and waits until the tracer has said it discovered WANT of
# them; the doctor is asked about them while the subscription is live.
discovered_run() {
	name=$1
	tracer=$2
	want=$3
	shift 3
	# shellcheck disable=SC2086 # the tracer command is a word list
	tracer_start "$name" $tracer || return
	"$@" --wait-usr1 --hold >"$R/$name.wl.json" 2>"$R/$name.wl.err" &
	WPID=$!
	i=0
	while [ "$(grep -c ' discovered ' "$R/$name.trace.err")" -lt "$want" ]; do
		if ! kill -0 $WPID 2>/dev/null || [ $i -ge 600 ]; then
			echo "scenario: no discovery after $i polls" >>"$R/$name.trace.err"
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	kill -USR1 $WPID
	while ! grep -q '^{' "$R/$name.wl.json" 2>/dev/null; do
		kill -0 $WPID 2>/dev/null || break
		sleep 0.05
	done
	notifier probe -j -k -D ntf_testdrv >"$R/$name.probe.json" 2>"$R/$name.probe.err"
	tracer_stop "$name"
	workload_release "$name"
}

for c in $CASES; do
	# the guest's uptime: where a run that times out spent its time
	echo "== case $c at $(cut -d' ' -f1 /proc/uptime)s"
	case " $TESTDRV_CASES " in
	*" $c "*) [ -f "$R/testdrv.unavailable" ] && continue ;;
	esac
	case $c in
	bucket_bpf)
		bucket-check >"$R/$c.json" 2>"$R/$c.err"
		echo $? >"$R/$c.rc"
		;;
	kvm_madvise)
		traced $c "notifier hist -j -P" wl-kvm --op madvise --iterations 200 --pages 64 ;;
	kvm_munmap)
		traced $c "notifier hist -j -P" wl-kvm --op munmap --iterations 100 --pages 64 ;;
	kvm_mprotect)
		traced $c "notifier hist -j -P" wl-kvm --op mprotect --iterations 100 --pages 64 ;;
	kvm_kprobe)
		traced $c "notifier hist -j -P -k" wl-kvm --op madvise --iterations 200 --pages 64 ;;
	kvm_classes)
		# -e: the chain's start alone is probed, as funclatency would
		traced $c "notifier hist -j -P -e inval_start" \
			wl-kvm --op madvise --iterations 200 --pages 64 ;;
	kvm_cow)
		# copy-on-write after fork: the parent's write faults invalidate
		traced $c "notifierd -j --no-pin" wl-kvm --op cow --iterations 20 --pages 32 ;;
	kvm_cow_hist)
		# the same, classified in the kernel: hist keeps no stream
		traced $c "notifier hist -j -P" wl-kvm --op cow --iterations 20 --pages 32 ;;
	kvm_exited)
		# the workload exits before the tracer reports: its name stays
		tracer_start $c notifier hist -j -P || continue
		wl-kvm --op madvise --iterations 50 --pages 16 >"$R/$c.wl.json" 2>"$R/$c.wl.err"
		echo $? >"$R/$c.wl.rc"
		tracer_stop $c
		;;
	stream)
		tracer_start $c notifierd -j || continue
		# The maps are pinned while the daemon runs.
		ls /sys/fs/bpf/notifier >"$R/$c.pins.txt" 2>&1
		workload_held $c wl-kvm --op madvise --iterations 500 --pages 16
		tracer_stop $c
		workload_release $c
		ls /sys/fs/bpf/notifier >"$R/$c.pins-after.txt" 2>&1
		;;
	reclaim)
		setup-zram-swap.sh >"$R/$c.swap.txt" 2>&1
		traced $c "notifierd -j --no-pin" wl-reclaim --pages 256
		swapoff /dev/zram0 2>/dev/null
		;;
	pin)
		traced $c "notifier hist -j -P" wl-pin --buffers 4 --pages 16 ;;
	fence)
		traced $c "notifierd -j --no-pin" wl-fence --count 5 --wait-ms 200 ;;
	testdrv)
		traced $c "notifier hist -j -P" wl-testdrv --sleep-us 150 --iterations 50 ;;
	testdrv_fence)
		traced $c "notifierd -j --no-pin" wl-testdrv --fence-wait-us 10000 --iterations 20 ;;
	attrib)
		traced $c "notifier hist -j -P" wl-testdrv --kvm --sleep-us 150 --iterations 40 ;;
	attrib_kprobe)
		traced $c "notifier hist -j -P -k" wl-testdrv --kvm --sleep-us 150 --iterations 40 ;;
	testdrv_by)
		# hist --by and -f, the workload in a cgroup of its own (this
		# shell moves there for the workload's time, the tracer does not)
		mkdir -p /sys/fs/cgroup/ntf-by
		tracer_start $c notifier hist -j --by driver,origin,blockable,process,cgroup \
			-f "driver testdrv" --svg "$R/$c.svg" || continue
		echo $$ >/sys/fs/cgroup/ntf-by/cgroup.procs
		workload_held $c wl-testdrv --kvm --sleep-us 2000 --iterations 30
		echo $$ >/sys/fs/cgroup/cgroup.procs
		tracer_stop $c
		workload_release $c
		;;
	record)
		# every event into a file; the host reads it (notifier report).
		# The driver's clock of a wait also holds the probe's exit and
		# its stack, a fixed cost (0.2 ms here, 0.5 ms on a slow
		# emulator): 40 ms waits keep it under the 5% the p50 is held to.
		traced $c "notifier record -o $R/$c.ntr" \
			wl-testdrv --kvm --fence-wait-us 40000 --iterations 20 ;;
	record_filter)
		# judged in the kernel: only what takes 5 ms or more (the testdrv
		# callback holding its 10 ms fence wait, the wait, the invalidate
		# around them; not KVM's callback, not the ends)
		traced $c "notifier record -m 5ms -o $R/$c.ntr" \
			wl-testdrv --kvm --fence-wait-us 10000 --iterations 20 ;;
	record_stacks | record_stacks_kprobe)
		# the kernel stacks of what takes 2 ms or more: the driver's
		# callback sleeping 5 ms and the invalidates around it, not KVM's
		# quick callback; fexit's stacks, then kretprobes' (-k)
		k=
		[ $c = record_stacks_kprobe ] && k=-k
		traced $c "notifier record $k --stack-min 2ms -o $R/$c.ntr" \
			wl-testdrv --kvm --sleep-us 5000 --iterations 20 ;;
	record_kill)
		# SIGKILL, no close: the file holds every whole block, and a block
		# is written each second
		tracer_start $c notifier record -o "$R/$c.ntr" || continue
		workload_held $c wl-kvm --op madvise --iterations 200 --pages 16
		sleep 2.5
		kill -KILL $TPID
		wait $TPID
		echo $? >"$R/$c.trace.rc"
		workload_release $c
		;;
	record_driver)
		# -f "driver testdrv": the kernel streams its callbacks only
		tracer_start $c notifier record -f "driver testdrv" -o "$R/$c.ntr" || continue
		workload_held $c wl-testdrv --kvm --sleep-us 150 --iterations 20
		tracer_stop $c
		workload_release $c
		;;
	record_pin)
		traced $c "notifier record -o $R/$c.ntr" wl-pin --buffers 4 --pages 16 ;;
	flight)
		# the daemon keeps the last 3 s: a workload 5 s before the trigger
		# is out of the window, the one just before it is in, whole
		mkdir -p "$R/flight"
		tracer_start $c notifierd -j --no-pin --flight 3s --flight-dir "$R/flight" || continue
		wl-kvm --op madvise --iterations 100 --pages 16 >"$R/$c.old.json" 2>"$R/$c.old.err"
		sleep 5
		workload_held $c wl-kvm --op madvise --iterations 50 --pages 16
		notifier record --trigger >"$R/$c.trigger.txt" 2>&1
		echo $? >"$R/$c.trigger.rc"
		tracer_stop $c
		workload_release $c
		;;
	rotate)
		# a new file each second while four workloads run a second apart
		mkdir -p "$R/rotate"
		tracer_start $c notifierd -j --no-pin --record "$R/rotate" --rotate-interval 1 || continue
		for i in 1 2 3; do
			wl-kvm --op madvise --iterations 100 --pages 16 >"$R/$c.wl$i.json" 2>>"$R/$c.wl.err"
			sleep 1.5
		done
		workload_held $c wl-kvm --op madvise --iterations 100 --pages 16
		tracer_stop $c
		workload_release $c
		;;
	daemon_stacks)
		# the daemon's recordings keep the stacks of what takes 2 ms or
		# more: the driver's callback sleeping 5 ms, in its rotating file
		# and in a flight snapshot alike
		mkdir -p "$R/$c.rec" "$R/$c.flight"
		tracer_start $c notifierd -j --no-pin --record "$R/$c.rec" --flight 60s \
			--flight-dir "$R/$c.flight" --stack-min 2ms || continue
		workload_held $c wl-testdrv --kvm --sleep-us 5000 --iterations 20
		notifier record --trigger >"$R/$c.trigger.txt" 2>&1
		echo $? >"$R/$c.trigger.rc"
		tracer_stop $c
		workload_release $c
		;;
	policy)
		# notifierd's rules, one workload each, told apart by cgroup: a
		# burst of 10,000 invalidations held to 5 alerts, a snapshot, a
		# frozen cgroup, a killed task and a stopped one. The cgroups are
		# made first: the kernel then judges the signal rules whole and
		# sends their signals itself, as the slow callback returns
		mkdir -p "$R/$c.flight"
		for g in ntf-burst ntf-snap ntf-freeze ntf-kill ntf-stop; do
			mkdir -p /sys/fs/cgroup/$g
		done
		cat >"$R/$c.rules" <<-'RULES'
		rule burst when class inval_start and origin madvise and cgroup /ntf-burst
		    do alert limit 5 per 60s
		rule snap when driver testdrv and latency >= 2ms and cgroup /ntf-snap
		    do snapshot, alert limit 1 per 60s
		rule freeze when driver testdrv and latency >= 2ms and cgroup /ntf-freeze
		    do freeze, alert limit 1 per 60s
		rule kill when driver testdrv and latency >= 2ms and cgroup /ntf-kill
		    do signal KILL, alert limit 1 per 60s
		rule stop when driver testdrv and latency >= 2ms and cgroup /ntf-stop
		    do signal STOP, alert limit 1 per 60s
		RULES
		tracer_start $c notifierd -j --no-pin --flight 60s --flight-dir "$R/$c.flight" \
			--rules "$R/$c.rules" || continue
		workload_held $c in_cgroup ntf-burst wl-kvm --op madvise --iterations 10000 --pages 1
		workload_release $c
		(in_cgroup ntf-snap wl-testdrv --sleep-us 5000 --iterations 10) \
			>"$R/$c.snap.json" 2>"$R/$c.snap.err"
		echo $? >"$R/$c.snap.rc"
		# 400 calls: seconds for the daemon's freeze to land, on a starved guest
		(in_cgroup ntf-freeze wl-testdrv --sleep-us 5000 --iterations 400) \
			>"$R/$c.freeze.json" 2>"$R/$c.freeze.err" &
		FPID=$!
		i=0
		while ! grep -q '^frozen 1' /sys/fs/cgroup/ntf-freeze/cgroup.events && [ $i -lt 200 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		# frozen, the workload still there; then thawed, it ends on its own
		{ grep '^frozen' /sys/fs/cgroup/ntf-freeze/cgroup.events
		  kill -0 $FPID 2>/dev/null && echo alive; } | tr '\n' ' ' >"$R/$c.freeze.txt"
		echo 0 >/sys/fs/cgroup/ntf-freeze/cgroup.freeze
		wait $FPID
		echo $? >"$R/$c.freeze.rc"
		(in_cgroup ntf-kill wl-testdrv --sleep-us 5000 --iterations 400) \
			>"$R/$c.kill.json" 2>"$R/$c.kill.err"
		echo $? >"$R/$c.kill.rc"
		# stopped by the kernel inside its first slow invalidation: no call
		# returned to say so (a daemon's signal comes a call or more late)
		(in_cgroup ntf-stop wl-testdrv --sleep-us 5000 --iterations 100 --progress) \
			>"$R/$c.stop.json" 2>"$R/$c.stop.err" &
		SPID=$!
		i=0
		while ! grep -q '^State:.*T' /proc/$SPID/status 2>/dev/null && [ $i -lt 200 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		echo "$(awk '/^State:/ { print $2 }' /proc/$SPID/status 2>/dev/null) $(grep -c returned "$R/$c.stop.err")" \
			>"$R/$c.stop.txt"
		kill -KILL $SPID
		wait $SPID
		tracer_stop $c
		;;
	policy_ops)
		# a BPF policy in notifierd (the portable backend): the shipped
		# example built to escalate the test driver's callbacks of 10 ms
		# or more and ignore everything else, on 20 calls of 20 ms, then
		# 30 quick ones, KVM's callbacks beside each
		tracer_start $c notifierd -j --no-pin --policy /root/policies/policy_slow_testdrv.bpf.o ||
			continue
		wl-testdrv --kvm --sleep-us 20000 --iterations 20 >"$R/$c.wl.json" 2>"$R/$c.wl.err"
		echo $? >"$R/$c.wl.rc"
		wl-testdrv --kvm --iterations 30 >"$R/$c.quick.json" 2>>"$R/$c.wl.err"
		tracer_stop $c
		;;
	policy_swap)
		# a swap while the workload runs: the policy that counts the test
		# driver's callbacks, then, loaded on the socket (notifier policy
		# load) after 100 of 1000 calls returned, the one that records them
		# (900 more: seconds for the load, on a guest starved of host CPU)
		tracer_start $c notifierd -j --no-pin --policy /root/policies/policy_count_testdrv.bpf.o \
			--record "$R/$c.rec" || continue
		wl-testdrv --sleep-us 2000 --iterations 1000 --progress >"$R/$c.wl.json" \
			2>"$R/$c.wl.err" &
		WPID=$!
		i=0
		while [ "$(grep -c returned "$R/$c.wl.err")" -lt 100 ] && [ $i -lt 600 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		notifier policy load -j /root/policies/policy_record_testdrv.bpf.o \
			>"$R/$c.load.json" 2>"$R/$c.load.err"
		echo $? >"$R/$c.load.rc"
		wait $WPID
		echo $? >"$R/$c.wl.rc"
		notifier policy load -j /root/policies/policy_refused.bpf.o >/dev/null \
			2>"$R/$c.refused.err"
		echo $? >"$R/$c.refused.rc"
		notifier policy list -j >"$R/$c.list.json" 2>>"$R/$c.load.err"
		tracer_stop $c
		;;
	policy_gated)
		# -H with rules: the kernel streams only what a rule may match (the
		# test driver's slow callbacks, not its quick ones nor KVM's); after
		# SIGHUP, the new rule's gate (its quick ones) at once. 20 ms and 0
		# sleeps, 10 ms between: an emulated guest's quick call may stall
		# for a millisecond or two, and the driver's clock says if it did
		printf 'rule slow when driver testdrv and latency >= 10ms do alert limit 100 per 60s\n' \
			>"$R/$c.rules"
		tracer_start $c notifierd -H -j --no-pin --rules "$R/$c.rules" || continue
		wl-testdrv --iterations 30 >"$R/$c.quick1.json" 2>>"$R/$c.wl.err"
		wl-kvm --op madvise --iterations 50 --pages 16 >"$R/$c.kvm.json" 2>>"$R/$c.wl.err"
		workload_held $c.slow wl-testdrv --sleep-us 20000 --iterations 10
		printf 'rule quick when driver testdrv and latency <= 10ms do alert limit 1 per 60s\n' \
			>"$R/$c.rules"
		kill -HUP $TPID
		wait_line "$R/$c.trace.err" 'read again on SIGHUP' $TPID
		# its exit's callbacks sleep 20 ms: the new gate keeps them out
		workload_release $c.slow
		workload_held $c wl-testdrv --iterations 30
		tracer_stop $c
		workload_release $c
		;;
	hotplug)
		# The test driver leaves and comes back while the daemon runs.
		rmmod ntf_testdrv
		tracer_start $c notifierd -j --no-pin -k || continue
		modprobe ntf_testdrv
		# said once the ladder ran: no call of the workload is missed
		wait_line "$R/$c.trace.err" 'testdrv appeared' $TPID
		workload_held $c wl-testdrv --sleep-us 100 --iterations 30
		workload_release $c
		# kprobes (-k) let the module go; the daemon must notice.
		rmmod ntf_testdrv
		wait_line "$R/$c.trace.err" 'testdrv left' $TPID
		tracer_stop $c
		modprobe ntf_testdrv
		;;
	discover)
		discovered_run $c "notifier hist -j -P" 1 \
			wl-testdrv --flavour unlisted --kvm --sleep-us 150 --iterations 40 ;;
	discover_classic)
		discovered_run $c "notifier hist -j -P -k" 2 \
			wl-testdrv --flavour classic --sleep-us 150 --iterations 40 ;;
	first_calls)
		# The tracer is up, the callback in no table: the registration
		# itself must get it attached, and every call before that counted.
		# 4 s of calls: the attach (a discovery pass, kallsyms, a
		# callback object verified) took over 1.5 s on a slow host's 6.1
		traced $c "notifier hist -j -P" \
			wl-testdrv --flavour unlisted --sleep-us 10000 --iterations 400 ;;
	first_calls_classic)
		traced $c "notifier hist -j -P -k" \
			wl-testdrv --flavour classic --sleep-us 10000 --iterations 400 ;;
	*)
		echo "unknown case $c" >&2
		exit 2 ;;
	esac
done
dmesg >"$R/dmesg.txt"
kill -TERM $KVM_KEEPER 2>/dev/null
wait $KVM_KEEPER
# Proof for the host that this script ran to its end (tests/vm/lib.sh).
echo end >"$NTF_RESULTS/scenario.end"
exit 0
