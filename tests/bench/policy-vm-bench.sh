#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Guest half of tests/bench/bench_policy_vm.sh: the test driver's
# invalidation loop untraced and under notifierd, with a policy's
# answers given in the kernel (struct_ops, the companion module loaded)
# and in the daemon (portable), interleaved over ROUNDS rounds so drift
# in the emulator hits all alike. Modes:
#   none        untraced
#   plain       notifierd, no module, no policy: the stream as it was
#   judge       the module loaded, no policy: the tracer's kfunc call alone
#   struct_ops  the module loaded, a policy judging every class
#   portable    no module, the same policy: a system call an event
# Results: MODE-N.wl.json (the loop's, with its elapsed_ns), MODE-N.cpu0
# and MODE-N.cpu (notifierd's CPU in clock ticks once tracing, and at its
# end), MODE-N.trace (its summary), MODE-N.err.
R=$NTF_RESULTS
ROUNDS=${ROUNDS:-3}
ITER=${ITER:-20000}
POLICY=/root/answer.bpf.o

uname -r >"$R/kernel.txt"
getconf CLK_TCK >"$R/clk_tck" 2>/dev/null || echo 100 >"$R/clk_tck"
modprobe ntf_testdrv 2>"$R/testdrv.err" || echo "modprobe ntf_testdrv failed" >>"$R/testdrv.err"

# run MODE N: the loop under MODE.
run() {
	mode=$1 n=$2 out=$R/$1-$2
	case $mode in
	judge | struct_ops) insmod /root/notifier_policy.ko 2>>"$out.err" ;;
	esac
	pid=
	if [ "$mode" != none ]; then
		args="-j --no-pin"
		case $mode in struct_ops | portable) args="$args --policy $POLICY" ;; esac
		# a shell that waits for notifierd: its children's CPU is then notifierd's
		sh -c 'notifierd "$@" & echo $! >"$0.pid"; wait $!;
			awk "{ print \$16 + \$17 }" /proc/$$/stat >"$0.cpu"' \
			"$out" $args >"$out.trace" 2>"$out.err" &
		i=0
		while ! grep -q 'tracing;' "$out.err" 2>/dev/null && [ $i -lt 1200 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		pid=$(cat "$out.pid")
		# what loading took: the loop's share is the rest
		awk '{ print $14 + $15 }' "/proc/$pid/stat" >"$out.cpu0"
	fi
	wl-testdrv --iterations "$ITER" >"$out.wl.json" 2>>"$out.err"
	if [ -n "$pid" ]; then
		kill -INT "$pid"
		while [ ! -s "$out.cpu" ] && [ $i -lt 2400 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	case $mode in
	judge | struct_ops) rmmod notifier_policy 2>>"$out.err" ;;
	esac
}

for r in $(seq 1 "$ROUNDS"); do
	for m in none plain judge struct_ops portable; do
		echo "== round $r: $m" >/dev/console
		run $m $r
	done
done
# Proof for the host that this script ran to its end (tests/vm/lib.sh).
echo end >"$R/scenario.end"
exit 0
