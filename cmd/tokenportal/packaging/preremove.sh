#!/bin/sh
# prerm of the tokenportal package. On removal the service stops. On an
# upgrade it keeps running the old version until the new package's postinst
# has migrated the database and restarts it.
set -e

case "$1" in
remove | deconfigure)
	if [ -d /run/systemd/system ]; then
		systemctl stop tokenportal.service || true
	fi
	;;
esac
exit 0
