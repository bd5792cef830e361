#!/usr/bin/env bash
# .ci/test.sh runs every check CI runs: formatting, vet, the tests with -race
# (real redis-server, embedded NATS), the JavaScript client's tests and a short
# fuzz pass over every parser. It installs redis-server when it is missing and it
# can (root + apt-get).
#
# .ci/test.sh --quick is the developer's loop: formatting, vet and the tests with
# -short, without -race (the integration tests, the browser test and the other
# long ones skip), no JavaScript tests, no fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=
case "${1:-}" in
"") ;;
--quick) quick=1 ;;
*)
	echo "usage: .ci/test.sh [--quick]   (unknown argument \"$1\")" >&2
	exit 2
	;;
esac

if ! command -v redis-server >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing redis-server"
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
	else
		echo "redis-server is missing: install it (apt-get install redis-server) and run again" >&2
		exit 1
	fi
fi

check_format_and_vet() {
	unformatted=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
	if [ -n "$unformatted" ]; then
		echo "gofmt would change:" >&2
		echo "$unformatted" >&2
		exit 1
	fi
	go vet ./...
	# Matchpoint builds for every platform Go does; the tests that need Unix
	# calls say so with build constraints, which this keeps honest.
	GOOS=windows go vet ./...
	GOOS=darwin go vet ./...
}

if [ -n "$quick" ]; then
	check_format_and_vet
	go test -short -count=1 ./...
	exit 0
fi

if ! command -v node >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing nodejs and npm (JavaScript client tests)"
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
	else
		echo "node is missing: install Node.js 20 or later and run again" >&2
		exit 1
	fi
fi

# Headless Chromium for the dashboard's browser test. Once chromium is here, or
# in CI, the test must run: MATCHPOINT_REQUIRE_BROWSER makes it fail rather
# than skip when it cannot start chromium.
.ci/install-chromium.sh
if [ -n "${CI:-}" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
	export MATCHPOINT_REQUIRE_BROWSER=1
fi

check_format_and_vet

# Tests start their own redis-server on a free port and an embedded NATS server.
go test -race -count=1 ./...

# The JavaScript client: codec, client and end-to-end tests against a relay
# built from this tree (after the Go tests, so the build cache is warm).
bash relay/client/js/test.sh

# A short fuzz pass per parser; the checked-in seed corpus also runs in the plain tests above.
# Bounded by a count of executions, not a duration: a duration-bounded -fuzztime can fail with a
# bare "context deadline exceeded" under CPU contention (a race in Go's fuzz coordinator,
# go.dev/issue/75804, fixed in Go 1.27). A line may give its own count after the target.
# 20000 executions per target (a few seconds each on 2 cores; 50000 before, which made
# the fuzz pass half of a 22-minute run on a loaded machine) keep the pass to minutes;
# set FUZZEXECS for a longer one.
fuzzexecs=${FUZZEXECS:-20000}
while IFS=' ' read -r pkg target execs; do
	[ -n "$pkg" ] || continue
	execs=${execs:-$fuzzexecs}
	echo "fuzz $pkg $target (${execs} executions)"
	go test -run='^$' -fuzz="^${target}\$" -fuzztime="${execs}x" "$pkg"
done < .ci/fuzz-targets.txt
