#!/bin/sh
# deps.sh - install the Debian 12 packages jobq builds, tests and runs
# with.  Needs root; does nothing when everything is present already.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config make gcc
libpq-dev libjansson-dev libcunit1-dev libfcgi-dev libinih-dev
postgresql postgresql-client apache2-bin libapache2-mod-fcgid media-types
lighttpd curl jq valgrind mandoc ca-certificates clang procps"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# postgresql's package starts a cluster on 5432 where policy allows it;
# jobq never uses it, tests and demo start their own.
apt-get install -y -q --no-install-recommends $missing
