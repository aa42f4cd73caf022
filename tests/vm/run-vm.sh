#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Boot a fetched Debian kernel (6.1 by default, or 6.12) under QEMU (TCG),
# run one scenario script as the guest's workload, and collect what it
# wrote to /results.
#
# Usage: tests/vm/run-vm.sh --scenario FILE --out DIR [--file SRC[:DEST]]...
#            [--dyn BINARY]... [--module NAME]... [--timeout SEC] [--mem MB] [--smp N]
#            [--append ARGS] [--verbose] [--kernel 6.1|6.12]
#
#   --scenario FILE    shell script run by the guest's /init (busybox sh)
#   --out DIR          gets console.log and the files of the guest's /results
#   --file SRC[:DEST]  extra file for the guest (default DEST: /bin/<name>)
#   --dyn BINARY       a dynamically linked program, with its libraries
#   --module NAME      extra kernel module (with dependencies) to include
#   --timeout SEC      hard limit for the whole boot-run-poweroff (300)
#   --mem MB           guest memory (2048)
#   --smp N            guest CPUs (2)
#   --append ARGS      extra kernel command line
#   --verbose          also stream the guest console to stderr
#   --kernel K         guest kernel, 6.1 or 6.12 (default: $NTF_VM_KERNEL,
#                      else 6.1)
#
# Exit status: the scenario's own exit status; 124 if the VM timed out,
# 125 if the guest never reported the scenario's exit status, 126 if a
# result file could not be extracted intact.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

usage() {
	sed -n '/^# Usage:/,/^# result file/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

scenario=
outdir=
timeout=300
mem=2048
smp=2
append=
verbose=0
files=()
modules=()

while [ $# -gt 0 ]; do
	case "$1" in
	--scenario) scenario=${2:?}; shift 2 ;;
	--out) outdir=${2:?}; shift 2 ;;
	--file) files+=(--file "${2:?}"); shift 2 ;;
	--dyn) files+=(--dyn "${2:?}"); shift 2 ;;
	--module) modules+=(--module "${2:?}"); shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--append) append=${2:?}; shift 2 ;;
	--verbose) verbose=1; shift ;;
	--kernel) select_vm_kernel "${2:?}"; shift 2 ;;
	-h|--help) usage ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[ -n "$scenario" ] || die "--scenario FILE is required"
[ -n "$outdir" ] || die "--out DIR is required"
[ -f "$scenario" ] || die "scenario '$scenario' not found"
[[ $timeout =~ ^[0-9]+$ ]] && [ "$timeout" -gt 0 ] ||
	die "--timeout must be a positive number of seconds"

ensure_pkgs qemu-system-x86 coreutils util-linux

now() { date +%s.%N; }
# Seconds since a now() stamp, one decimal.
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }
t_start=$(now)

# Runs in parallel must not fetch or build the module at the same time.
mkdir -p "$NTF_CACHE"
exec 9>"$NTF_CACHE/build.lock"
flock 9

"$NTF_REPO/tests/vm/fetch-kernel.sh" --kernel "$NTF_VM_KERNEL"
load_kernel_env

# kbuild rebuilds only what changed (and everything if KDIR changed).
log "building ntf_testdrv for $NTF_KVER"
kmod_log=$(mktemp)
testdrv_missing=
if [ "$NTF_VM_KERNEL" = 6.1 ]; then
	if ! make -C "$NTF_REPO/tests/kmod" KDIR="$NTF_KDIR" \
		  VMLINUX="$NTF_ROOT/boot/vmlinux-$NTF_KVER" modules >"$kmod_log" 2>&1; then
		cat "$kmod_log" >&2
		rm -f "$kmod_log"
		die "building tests/kmod failed"
	fi
	ko=$NTF_REPO/tests/kmod/ntf_testdrv.ko
else
	# A copy of the sources per kernel, so the 6.1 build in tests/kmod
	# is not redone on every switch; copied only when changed, so kbuild
	# still rebuilds only what changed.
	kdir=$NTF_KCACHE/kmod
	mkdir -p "$kdir"
	for f in "$NTF_REPO"/tests/kmod/Makefile "$NTF_REPO"/tests/kmod/*.[ch]; do
		# (*.mod.c is the 6.1 build's modpost output, not a source.)
		case $f in *.mod.c) continue ;; esac
		cmp -s "$f" "$kdir/${f##*/}" || cp "$f" "$kdir/"
	done
	# Trixie's headers ship a BTF-only vmlinux, so kbuild adds module BTF
	# itself (with trixie's pahole, as the headers' flags need 1.26+).
	kmake=(make -C "$NTF_KDIR" M="$kdir" PAHOLE="$NTF_KCACHE/bin/pahole")
	# The headers ask for trixie's gcc-14. Without it, gcc-12 builds the
	# module once told that it lacks -fmin-function-alignment (which
	# Kconfig found in gcc-14); the kernel's Makefile then passes
	# -falign-functions with the same alignment instead.
	command -v x86_64-linux-gnu-gcc-14 >/dev/null ||
		kmake+=(CC=gcc-12 CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=)
	if "${kmake[@]}" modules >"$kmod_log" 2>&1; then
		ko=$kdir/ntf_testdrv.ko
	else
		# Not fatal here: scenarios skip the test-driver cases and say why.
		cat "$kmod_log" >&2
		testdrv_missing="ntf_testdrv does not build for $NTF_KVER ($(
			grep -m1 -i 'error' "$kmod_log" | cut -c1-200))"
		log "warning: $testdrv_missing"
	fi
fi
rm -f "$kmod_log"

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ntf-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Stale results of an earlier run in the same DIR must not pass for new
# ones; remove only what that run wrote.
if [ -f "$outdir/results.list" ]; then
	while IFS= read -r f; do
		rm -f "$outdir/$f"
	done <"$outdir/results.list"
fi
rm -f "$outdir/console.log" "$outdir/qemu.stderr" "$outdir/results.list"

# Without the test module the guest gets the reason instead, at a path
# the scenarios look at before they load it.
if [ -z "$testdrv_missing" ]; then
	kmod=(--kmod "$ko")
	# The same module without its BTF, as an out-of-tree driver built
	# without pahole comes: the doctor must say why fentry cannot attach.
	if objcopy --remove-section=.BTF "$ko" "$work/ntf_testdrv_nobtf.ko"; then
		kmod+=(--file "$work/ntf_testdrv_nobtf.ko:/root/ntf_testdrv_nobtf.ko")
	fi
else
	printf '%s\n' "$testdrv_missing" >"$work/testdrv-unavailable"
	kmod=(--file "$work/testdrv-unavailable:/etc/ntf-testdrv-unavailable")
fi

t0=$(now)
"$NTF_REPO/tests/vm/mkinitramfs.sh" --kernel "$NTF_VM_KERNEL" --out "$work/initramfs.cpio.gz" \
	--scenario "$scenario" "${kmod[@]}" \
	${files[@]+"${files[@]}"} ${modules[@]+"${modules[@]}"}
log "initramfs built in $(since "$t0")s"
flock -u 9	# the module is in the image now; others may rebuild it

# Leave the guest time to dump its results if the scenario hangs: a
# tenth of a long run's limit (a spine's files take minutes over the
# emulated serial line), 20 s of a short one's.
if [ "$timeout" -ge 1200 ]; then
	guest_tmo=$((timeout - timeout / 10))
elif [ "$timeout" -ge 60 ]; then
	guest_tmo=$((timeout - 20))
else
	guest_tmo=$((timeout * 2 / 3))
fi

# TCG, not KVM: nested virtualisation is not available to rely on.
# -cpu max exposes SVM, so kvm_amd loads in the guest and /dev/kvm exists.
# One TCG thread for all vCPUs (NTF_VM_TCG_THREAD=multi to change): with a
# thread per vCPU, the guest patching its own text (a static key flipped
# as the first KVM VM is made) raced the other vCPU, and Debian's 6.12
# oopsed on a stale int3 in __schedule at the first case in 2 runs of 4.
qemu=(qemu-system-x86_64 -accel "tcg,thread=${NTF_VM_TCG_THREAD:-single}" -cpu max -m "$mem" -smp "$smp"
      -nographic -no-reboot
      -kernel "$NTF_VMLINUZ" -initrd "$work/initramfs.cpio.gz"
      -append "console=ttyS0 quiet panic=-1 ntf.timeout=$guest_tmo $append")

console=$outdir/console.log
log "booting $NTF_KVER (timeout ${timeout}s, ${mem} MB, $smp CPUs)"
t0=$(now)
set +e
if [ $verbose -eq 1 ]; then
	timeout -k 5 "$timeout" "${qemu[@]}" </dev/null 2>"$work/qemu.err" |
		tee "$console" >&2
	qrc=${PIPESTATUS[0]}
else
	timeout -k 5 "$timeout" "${qemu[@]}" </dev/null >"$console" 2>"$work/qemu.err"
	qrc=$?
fi
set -e
vm_time=$(since "$t0")

if [ -s "$work/qemu.err" ]; then
	cp "$work/qemu.err" "$outdir/qemu.stderr"
fi
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	log "error: VM timed out after ${timeout}s; see $console"
	exit 124
fi
if [ $qrc -ne 0 ]; then
	[ -s "$work/qemu.err" ] && sed 's/^/qemu: /' "$work/qemu.err" >&2
	log "error: qemu exited with status $qrc; see $console"
	exit 125
fi

# The serial line turns \n into \r\n; strip it once for all parsing.
tr -d '\r' <"$console" >"$work/console.txt"

rc=$(sed -n 's/^==== NTF-SCENARIO-EXIT \([0-9]\+\) ====$/\1/p' "$work/console.txt" | tail -n1)
if [ -z "$rc" ]; then
	log "error: guest never reported the scenario's exit status" \
	    "(kernel panic or crash?); see $console"
	exit 125
fi

# Split the console into one base64 file per result, then decode and
# check each against the sha256 the guest printed.
mkdir -p "$work/b64"
awk -v dir="$work/b64" '
	/^==== NTF-RESULT-BEGIN .* ====$/ {
		name = $0
		sub(/^==== NTF-RESULT-BEGIN /, "", name)
		sub(/ ====$/, "", name)
		n++
		file = dir "/" n
		print name > (dir "/" n ".name")
		close(dir "/" n ".name")
		printf "" > file
		next
	}
	/^==== NTF-RESULT-END .* sha256=[0-9a-f]+ ====$/ {
		if (file != "") {
			sum = $0
			sub(/^.* sha256=/, "", sum)
			sub(/ ====$/, "", sum)
			print sum > (file ".sum")
			close(file ".sum")
			close(file)
		}
		file = ""
		next
	}
	file != "" { print >> file }
' "$work/console.txt"

bad=0
nres=0
for namef in "$work"/b64/*.name; do
	[ -e "$namef" ] || break
	b=${namef%.name}
	name=$(cat "$namef")
	case "/$name/" in
	*/../*|*//*) log "error: refusing result name '$name'"; bad=1; continue ;;
	esac
	if [ ! -f "$b.sum" ]; then
		log "error: result '$name' has no end marker (truncated output?)"
		bad=1
		continue
	fi
	mkdir -p "$(dirname "$outdir/$name")"
	if ! base64 -d <"$b" >"$outdir/$name" 2>/dev/null ||
	   [ "$(sha256sum <"$outdir/$name" | cut -d' ' -f1)" != "$(cat "$b.sum")" ]; then
		log "error: result '$name' is corrupt (checksum mismatch)"
		bad=1
		continue
	fi
	printf '%s\n' "$name" >>"$outdir/results.list"
	nres=$((nres + 1))
done

log "scenario exit $rc, $nres result file(s) in $outdir; VM ${vm_time}s, total $(since "$t_start")s"
[ $bad -eq 0 ] || exit 126
exit "$rc"
