#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Guest half of tests/vm/top-test.sh: notifier-top in JSON batch mode
# around each workload, with its own probes and, once, through notifierd's
# socket. Each case NAME leaves NAME.top.json, NAME.wl.json and their .rc.

R=$NTF_RESULTS
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
modprobe vgem

# KVM's first VM turns on a static key in __schedule (preempt notifiers) and
# its last VM turns it off: text patching on a live vCPU, which has crashed
# the emulated guest (an int3 oops in __schedule, soft lockups). One VM held
# for the whole run keeps every later VM from patching that text.
wl-kvm --iterations 1 --pages 1 --hold >/dev/null 2>&1 &
KVM_KEEPER=$!

# wait_line FILE PATTERN PID: until FILE has a line matching PATTERN; 1
# when PID died first or two minutes passed (TCG loads probes slowly).
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

# top_around NAME "TOP ARGS" WORKLOAD...: top runs before, during and one
# second after the held workload, so its last interval has every event.
top_around() {
	name=$1
	args=$2
	shift 2
	# shellcheck disable=SC2086 # args is a word list
	notifier-top -j -d 0.3 -r 0 $args >"$R/$name.top.json" 2>"$R/$name.top.err" &
	top=$!
	if ! wait_line "$R/$name.top.json" '^{' $top; then
		echo "notifier-top did not start" >>"$R/$name.top.err"
		echo 125 >"$R/$name.top.rc"
		kill -9 $top 2>/dev/null
		return 1
	fi
	"$@" --hold >"$R/$name.wl.json" 2>"$R/$name.wl.err" &
	wl=$!
	wait_line "$R/$name.wl.json" '^{' $wl
	sleep 1
	kill -INT $top
	wait $top
	echo $? >"$R/$name.top.rc"
	kill -TERM $wl 2>/dev/null
	wait $wl
	echo $? >"$R/$name.wl.rc"
}

top_around kvm "--no-daemon -v class" wl-kvm --op madvise --iterations 200 --pages 16
top_around pin "--no-daemon -v pin" wl-pin --buffers 4 --pages 16
top_around fence "--no-daemon -v fence" wl-fence --count 3 --wait-ms 50
setup-zram-swap.sh >"$R/swap.txt" 2>&1
top_around reclaim "--no-daemon -v unmap" wl-reclaim --pages 256
swapoff /dev/zram0 2>/dev/null

# Through the daemon: notifier-top finds notifierd's socket by itself.
notifierd -q --no-pin >"$R/daemon.out" 2>"$R/daemon.err" &
d=$!
i=0
while [ ! -S /run/notifier/notifierd.sock ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
top_around daemon "-v class" wl-kvm --op madvise --iterations 150 --pages 16

# A driver no table lists: the daemon discovers it while it runs, and the
# view, which has no table entry for it, shows the name the daemon sent.
if [ ! -f /etc/ntf-testdrv-unavailable ] && modprobe ntf_testdrv 2>"$R/disc.wl.err"; then
	wl-testdrv --flavour unlisted --sleep-us 100 --iterations 30 --wait-usr1 --hold \
		>"$R/disc.wl.json" 2>>"$R/disc.wl.err" &
	wl=$!
	wait_line "$R/daemon.err" 'ntf_testdrv discovered' $d
	notifier-top -j -d 0.3 -r 0 -v driver >"$R/disc.top.json" 2>"$R/disc.top.err" &
	top=$!
	wait_line "$R/disc.top.json" '^{' $top
	kill -USR1 $wl
	wait_line "$R/disc.wl.json" '^{' $wl
	sleep 1
	kill -INT $top
	wait $top
	echo $? >"$R/disc.top.rc"
	kill -TERM $wl 2>/dev/null
	wait $wl
	echo $? >"$R/disc.wl.rc"
fi
kill -TERM $d
wait $d
echo $? >"$R/daemon.rc"

# The OOM reaper meets a driver that refuses (refuse_nonblock): every view
# of notifier-top and notifier hist, all four at once around one OOM kill,
# so each is compared with the same counts of the driver. Their own probes:
# the daemon is gone. Swap is off again, so the memcg's excess is an OOM.
# Leaves oom.wl.*, oom.VIEW.top.* and oom.hist.*; oom.unavailable says why
# the case did not run.
oom_case() {
	if [ -f /etc/ntf-testdrv-unavailable ]; then
		cp /etc/ntf-testdrv-unavailable "$R/oom.unavailable"
		return
	fi
	if ! modprobe ntf_testdrv 2>"$R/oom.modprobe.err"; then
		echo "modprobe ntf_testdrv failed: $(cat "$R/oom.modprobe.err")" >"$R/oom.unavailable"
		return
	fi
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control
	tops=
	for v in default driver class; do
		f=
		# the class view has no driver column: the filter names the driver,
		# as the tracer's table does ntf_invalidate's (module ntf_testdrv)
		[ $v = class ] && f="-f driver=testdrv"
		# shellcheck disable=SC2086 # f is a word list
		notifier-top -j -d 0.5 -r 0 --no-daemon -v $v $f \
			>"$R/oom.$v.top.json" 2>"$R/oom.$v.top.err" &
		tops="$tops $v:$!"
	done
	notifier hist -j >"$R/oom.hist.json" 2>"$R/oom.hist.err" &
	hist=$!
	for t in $tops; do
		if ! wait_line "$R/oom.${t%%:*}.top.json" '^{' "${t#*:}"; then
			echo "notifier-top did not start" >>"$R/oom.${t%%:*}.top.err"
			echo 125 >"$R/oom.${t%%:*}.top.rc"
		fi
	done
	if ! wait_line "$R/oom.hist.err" '^Tracing' $hist; then
		echo "notifier hist did not start" >>"$R/oom.hist.err"
		echo 125 >"$R/oom.hist.rc"
	fi
	wl-testdrv --oom-cgroup /sys/fs/cgroup/ntf-oom --hold \
		>"$R/oom.wl.json" 2>"$R/oom.wl.err" &
	wl=$!
	wait_line "$R/oom.wl.json" '^{' $wl
	sleep 1
	for t in $tops; do
		kill -INT "${t#*:}" 2>/dev/null
	done
	kill -INT $hist 2>/dev/null
	for t in $tops; do
		wait "${t#*:}"
		rc=$?
		[ -s "$R/oom.${t%%:*}.top.rc" ] || echo $rc >"$R/oom.${t%%:*}.top.rc"
	done
	wait $hist
	rc=$?
	[ -s "$R/oom.hist.rc" ] || echo $rc >"$R/oom.hist.rc"
	kill -TERM $wl 2>/dev/null
	wait $wl
	echo $? >"$R/oom.wl.rc"
	dmesg | grep -i -e oom -e 'Memory cgroup' >"$R/oom.dmesg.txt"
}
oom_case
kill -TERM $KVM_KEEPER 2>/dev/null
wait $KVM_KEEPER
# Proof for the host that this script ran to its end (tests/vm/lib.sh).
echo end >"$NTF_RESULTS/scenario.end"
exit 0
