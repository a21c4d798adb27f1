#!/usr/bin/env bash
# Runs every fuzz target in the repository for a bounded time (FUZZTIME, default 3s each),
# starting from its seed corpus (the f.Add seeds and testdata/fuzz/<Target>/ beside the test).
# `make test` runs it, so every decoder of untrusted input meets fresh random input on every run.
# A target that fails leaves the input that broke it in testdata/fuzz/<Target>/; commit that file
# with the fix, and it stays in the corpus as a regression case.
set -euo pipefail
cd "$(dirname "$0")/../.."

fuzztime="${FUZZTIME:-3s}"

# fuzz_once runs one target. On a loaded machine the fuzzing engine can miss its own deadline
# while stopping its workers and report "context deadline exceeded" with no failing input; that
# run (and only that: no new file under testdata/fuzz/) is tried once more. Any input that
# breaks the target is written to testdata/fuzz/ and fails the run.
fuzz_once() {
	local dir=$1 name=$2 out corpus="$1/testdata/fuzz/$2" before after
	before=$(ls "$corpus" 2>/dev/null | sort || true)
	if out=$(go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$dir" 2>&1); then
		echo "$out"
		return 0
	fi
	echo "$out"
	after=$(ls "$corpus" 2>/dev/null | sort || true)
	if [[ $before == "$after" ]] && grep -q 'context deadline exceeded' <<<"$out"; then
		echo "fuzz ${dir} ${name}: the engine missed its deadline with no failing input; once more"
		go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$dir"
		return
	fi
	return 1
}
targets=0
failed=()
while IFS= read -r file; do
	dir="./$(dirname "$file")"
	while IFS= read -r name; do
		targets=$((targets + 1))
		echo "fuzz ${dir} ${name} (${fuzztime})"
		if ! fuzz_once "$dir" "$name"; then
			failed+=("${dir} ${name}")
		fi
	done < <(sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/p' "$file")
done < <(grep -rlE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git '^func Fuzz[A-Za-z0-9_]*\(' . | sed 's|^\./||' | sort)

if ((targets == 0)); then
	echo "no fuzz targets found; the search for 'func Fuzz' is broken" >&2
	exit 1
fi
if ((${#failed[@]} > 0)); then
	echo "fuzz targets that failed (their inputs are in testdata/fuzz/):" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "all ${targets} fuzz targets ran ${fuzztime} each without a failure"
