# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The runner's account of one test script, by the rules of tap.sh:
# sourced by tests/run-all.sh, and proven by tests/cli/runner-selftest.sh
# on scripts broken on purpose.

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# tap_unit NAME LOG CMD...: runs CMD as one unit of the run (stdin
# /dev/null, stdout kept in LOG.out, stderr in LOG.err) and passes its
# check lines on as they come. Then, if CMD broke the protocol, one more
# line, "not ok - NAME: why", the why being any of: its exit status
# (anything but 0, or 1 after a failed check of its own, with the end
# marker), no end marker, a count of checks other than its plan, no
# checks at all. The last line of its stderr comes with it.
tap_unit() {
	local name=$1 log=$2 tag="# run-all: exit status"

	shift 2
	# The exit status follows the script's last line on the same pipe,
	# once the script is gone.
	{
		"$@" </dev/null 2>"$log.err" | tee "$log.out"
		echo "$tag ${PIPESTATUS[0]}"
	} | awk -v name="$name" -v logf="$log" -v tag="$tag " -v end="$NTF_TAP_END" \
		-v skip_n="$NTF_TAP_SKIP_N" '
		function emit(s) { print s; fflush() }
		function why(s) { reasons = reasons (reasons == "" ? "" : ", ") s }
		index($0, tag) == 1 { status = substr($0, length(tag) + 1) + 0; exited = 1; next }
		$0 == end { ended = 1; next }
		/^1\.\.[0-9]+$/ {
			if (checks == 0 && plan == "") plan = substr($0, 4) + 0
			else misplaced = 1
			next
		}
		/^(ok|not ok|skip) - / {
			n = 1
			if (/^not ok - /) failed++
			else if (/^skip - / && match($0, skip_n))
				n = substr($0, RSTART + 2) + 0
			checks += n
			if (ended) late++
			emit($0)
		}
		END {
			checks += 0
			if (!exited) why("no exit status")
			else if (status != 0 && !(status == 1 && failed && ended))
				why("exit status " status)
			if (!ended) why("ended before its end marker")
			if (late) why(late " check line(s) after its end marker")
			if (misplaced) why("a plan line after its first check")
			if (plan != "" && checks < plan)
				why("printed " checks " of " plan " planned checks")
			else if (plan != "" && checks > plan)
				why("printed " checks " checks, " plan " planned")
			else if (plan == "" && checks == 0)
				why("printed no checks")
			if (reasons == "") exit
			err = logf ".err"
			while ((getline l < err) > 0) if (l != "") last = l
			close(err)
			if (last != "") reasons = reasons "; stderr: " substr(last, 1, 200)
			emit("not ok - " name ": " reasons " (see " logf ".out, .err)")
		}'
}

# tap_totals FILE: "PASSED FAILED SKIPPED" of the check lines in FILE, a
# skip of N counted as N.
tap_totals() {
	awk -v skip_n="$NTF_TAP_SKIP_N" '
		/^ok - / { p++ }
		/^not ok - / { f++ }
		/^skip - / { s += match($0, skip_n) ? substr($0, RSTART + 2) + 0 : 1 }
		END { print p + 0, f + 0, s + 0 }' "$1"
}
