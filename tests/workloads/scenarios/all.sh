#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Guest scenario: run every workload while kprobes and tracepoints count
# what the kernel did for its process, and check the counts against the
# workload's own report. Needs wl-kvm, wl-reclaim, wl-pin, wl-fence and
# setup-zram-swap.sh in /bin. Writes to $NTF_RESULTS/workloads/:
#   NAME.json    the workload's report        NAME.err  its stderr
#   NAME.counts  events of its pid (or tid)   NAME.trace the raw trace
#   summary.txt  one "ok"/"not ok" line per check

T=/sys/kernel/tracing
R=${NTF_RESULTS:-/results}/workloads
mkdir -p "$R"
sum=$R/summary.txt
: >"$sum"
fail=0

say() {
	echo "$*" | tee -a "$sum"
}

bad() {
	say "not ok - $*"
	fail=1
}

# devtmpfs creates nodes asynchronously after the driver registers them.
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

setup() {
	modprobe kvm_amd || modprobe kvm_intel || bad "load kvm"
	wait_for /dev/kvm || bad "/dev/kvm"
	modprobe vgem || bad "modprobe vgem"
	wait_for /dev/dri/card0 || bad "/dev/dri/card0"
	setup-zram-swap.sh || bad "zram swap"

	echo 16384 >$T/buffer_size_kb
	# kprobes: ground truth for the functions a tracer would probe
	for p in inv:__mmu_notifier_invalidate_range_start \
		 ttu:try_to_unmap_one pin:pin_user_pages \
		 pinf:pin_user_pages_fast fw:dma_fence_wait_timeout; do
		echo "p:wl/${p%%:*} ${p#*:}" >>$T/kprobe_events ||
			bad "kprobe on ${p#*:}"
	done
	echo 1 >$T/events/wl/enable
	echo 1 >$T/events/kvm/kvm_unmap_hva_range/enable
	echo 1 >$T/events/dma_fence/dma_fence_wait_start/enable
}

EVENTS="inv ttu pin pinf fw kvm_unmap_hva_range dma_fence_wait_start"

# Value of a numeric field of a one-line JSON report.
field() {
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1" | tail -n1
}

# count NAME EVENT: events of the run's pid/tid, from NAME.counts
count() {
	sed -n "s/^$2=//p" "$R/$1.counts"
}

# run NAME ID_FIELD CMD...: trace CMD, count events of the pid/tid that
# the report names in ID_FIELD.
run() {
	name=$1
	idf=$2
	shift 2
	echo 0 >$T/tracing_on
	echo >$T/trace
	echo 1 >$T/tracing_on
	"$@" >"$R/$name.json" 2>"$R/$name.err"
	rc=$?
	echo 0 >$T/tracing_on
	cp $T/trace "$R/$name.trace"
	echo "== $name (exit $rc): $*"
	cat "$R/$name.json" "$R/$name.err"
	[ $rc -eq 0 ] || bad "$name exits 0"
	id=$(field "$R/$name.json" "$idf")
	: >"$R/$name.counts"
	for ev in $EVENTS; do
		n=$(grep -c -- "-$id  *\[[0-9]*\] .* $ev:" "$R/$name.trace")
		echo "$ev=$n" >>"$R/$name.counts"
	done
	tr '\n' ' ' <"$R/$name.counts"
	echo
}

# expect NAME DESC GOT WANT
expect() {
	if [ "$3" = "$4" ]; then
		say "ok - $1: $2 = $4"
	else
		bad "$1: $2 = $3, expected $4"
	fi
}

setup

for op in madvise munmap mprotect; do
	run kvm-$op pid wl-kvm --op $op --iterations 100
	calls=$(field "$R/kvm-$op.json" calls)
	expect kvm-$op "KVM invalidations" \
		"$(count kvm-$op kvm_unmap_hva_range)" "$calls"
	# process exit adds one start on the mm (exit_mmap)
	expect kvm-$op "invalidate_range_start calls" \
		"$(count kvm-$op inv)" $((calls + 1))
done
run kvm-madvise-nokvm pid wl-kvm --op madvise --iterations 100 --no-kvm
expect kvm-madvise-nokvm "invalidate_range_start calls" \
	"$(count kvm-madvise-nokvm inv)" 0

run reclaim pid wl-reclaim --pages 256
swapped=$(field "$R/reclaim.json" swapped_out)
expect reclaim "pages swapped out" "$swapped" 256
expect reclaim "try_to_unmap_one calls" "$(count reclaim ttu)" "$swapped"
expect reclaim "KVM invalidations" \
	"$(count reclaim kvm_unmap_hva_range)" "$swapped"
expect reclaim "invalidate_range_start calls" "$(count reclaim inv)" \
	$((swapped + 1))
expect reclaim "read-back mismatches" "$(field "$R/reclaim.json" mismatches)" 0
run reclaim-nokvm pid wl-reclaim --pages 256 --no-kvm
expect reclaim-nokvm "try_to_unmap_one calls" \
	"$(count reclaim-nokvm ttu)" "$(field "$R/reclaim-nokvm.json" swapped_out)"

run pin pid wl-pin --buffers 4 --pages 16 --hold-ms 10
expect pin "pin_user_pages calls" \
	"$(($(count pin pin) + $(count pin pinf)))" "$(field "$R/pin.json" pin_calls)"
expect pin "vmstat pinned pages" \
	"$(field "$R/pin.json" foll_pin_acquired_delta)" \
	"$(field "$R/pin.json" pages_pinned)"
expect pin "vmstat unpinned pages" \
	"$(field "$R/pin.json" foll_pin_released_delta)" \
	"$(field "$R/pin.json" pages_pinned)"

run fence tid wl-fence --count 3 --wait-ms 50
expect fence "dma_fence_wait_timeout calls" "$(count fence fw)" 3
expect fence "dma_fence_wait_start events" \
	"$(count fence dma_fence_wait_start)" 3

setup-zram-swap.sh --off
cat "$sum"
exit $fail
