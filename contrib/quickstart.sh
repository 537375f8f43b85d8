#!/bin/sh
# contrib/quickstart.sh - set up a fresh Debian 12 machine (as root) and
#
#   run   install the build dependencies, build, and run the daemon in the
#         foreground on its embedded defaults (inet:8893@127.0.0.1)
#   test  install the build and test dependencies, build twice (warnings as
#         errors; then AddressSanitizer + UndefinedBehaviorSanitizer) and run
#         the whole test suite on both; the last line is the total
#         "N passed, N failed"
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

BUILD_DEPS="build-essential autoconf automake pkg-config libmilter-dev
 libspf2-dev libopendkim-dev libbsd-dev libunbound-dev libpsl-dev libidn2-dev
 publicsuffix libevent-dev libsqlite3-dev libpq-dev zlib1g-dev libmd-dev"
TEST_DEPS="python3 python3-dkim python3-nacl python3-spf python3-yaml unbound
 postfix swaks sasl2-bin libsasl2-modules postgresql libxml2-utils faketime clang libclang-rt-14-dev cppcheck
 clang-tidy valgrind chromium"

install_deps() {
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		export DEBIAN_FRONTEND=noninteractive
		# Postfix for the end-to-end tests, without touching /etc/postfix
		echo 'postfix postfix/main_mailer_type select No configuration' |
		    debconf-set-selections
		apt-get update -qq
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $BUILD_DEPS "$@" \
		    >/dev/null
	else
		echo "quickstart: not root or no apt-get: assuming the" \
		    "dependencies are installed" >&2
	fi
}

build() {	# build DIR CONFIGURE-ARGS...
	dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@" && make -s -j2)
}

case "${1:-}" in
run)
	install_deps
	autoreconf -fi >/dev/null
	build build --enable-werror
	# the daemon in the foreground on its embedded defaults: milter socket
	# inet:8893@127.0.0.1, the system's DNS; Postfix: smtpd_milters =
	# inet:127.0.0.1:8893 (contrib/postfix-main.cf.snippet)
	exec build/milter/dmarc-milter -f
	;;
test)
	# shellcheck disable=SC2086
	install_deps $TEST_DEPS
	autoreconf -fi >/dev/null
	build build --enable-werror
	build build-asan --enable-werror --enable-sanitizers
	# every libFuzzer target briefly, over its corpus (clang tree in
	# build/fuzz-build); tests/run counts its "N passed, N failed" line
	mkdir -p build/tests/fuzz
	make -s -C build fuzz-smoke FUZZ_SMOKE_FLAGS="-t 5" \
	    >build/tests/fuzz/fuzz-smoke.log 2>&1 ||
	    echo "0 passed, 1 failed" >>build/tests/fuzz/fuzz-smoke.log
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    exec tests/run build build-asan
	;;
*)
	echo "usage: $0 run|test" >&2
	exit 2
	;;
esac
