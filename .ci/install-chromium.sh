#!/usr/bin/env bash
# install-chromium.sh installs Debian's chromium package, which the dashboard's
# headless browser test (matchmaker/dashboard/browser_test.go) drives. It does nothing when
# a chromium binary is already on PATH, and says why it cannot install when it
# is not run as root or apt-get is missing; the test then skips with a message.
set -euo pipefail

for bin in chromium chromium-browser; do
	if command -v "$bin" >/dev/null 2>&1; then
		echo "install-chromium: $bin is installed ($(command -v "$bin"))"
		exit 0
	fi
done

if [ "$(id -u)" != 0 ]; then
	echo "install-chromium: chromium is missing and this is not root; the dashboard browser test will skip" >&2
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-chromium: chromium is missing and apt-get is not available; the dashboard browser test will skip" >&2
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1; then
	apt-get update -qq
	apt-get install -y --no-install-recommends chromium fonts-dejavu-core
fi
echo "install-chromium: installed $(chromium --version 2>/dev/null || echo chromium)"
