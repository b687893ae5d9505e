#!/bin/sh
# postrm of the tokenportal package: systemd forgets the removed unit. The
# tokenportal user stays (files or backups may still belong to it); purge
# removes /etc/tokenportal/env as dpkg does every conffile.
set -e

case "$1" in
remove | purge)
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
	;;
esac
if [ "$1" = purge ]; then
	rmdir /etc/tokenportal 2>/dev/null || true
fi
exit 0
