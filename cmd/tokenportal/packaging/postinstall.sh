#!/bin/sh
# postinst of the tokenportal package (dpkg calls it as: configure OLD-VERSION).
# A fresh install creates the user and starts nothing. An upgrade of a
# configured service that is running or enabled migrates the database with the
# new binary and then restarts the service if it was running.
set -e

unit=tokenportal.service
conf=/etc/tokenportal/env

[ "$1" = configure ] || exit 0
old_version="$2"

# The system user and group the service runs as.
if ! getent group tokenportal >/dev/null; then
	if command -v addgroup >/dev/null 2>&1; then
		addgroup --system --quiet tokenportal
	else
		groupadd --system tokenportal
	fi
fi
if ! getent passwd tokenportal >/dev/null; then
	if command -v adduser >/dev/null 2>&1; then
		adduser --system --quiet --ingroup tokenportal --no-create-home \
			--home /nonexistent --shell /usr/sbin/nologin tokenportal
	else
		useradd --system --gid tokenportal --no-create-home \
			--home-dir /nonexistent --shell /usr/sbin/nologin --comment tokenportal tokenportal
	fi
fi

# dpkg unpacks the configuration before the group exists on a fresh install:
# give it to the group now (a group the administrator chose stays).
for f in /etc/tokenportal "$conf"; do
	if [ -e "$f" ] && [ "$(stat -c %g "$f")" = 0 ]; then
		chgrp tokenportal "$f"
	fi
done

systemd=
if [ -d /run/systemd/system ]; then
	systemd=yes
	systemctl daemon-reload || true
fi

if [ -z "$old_version" ]; then
	cat <<MSG
tokenportal is installed and not started. To run it:
  1. set DATABASE_URL and SECRET_KEY (openssl rand -hex 32) in $conf
  2. systemctl enable --now tokenportal
  3. create the first admin account:
       runuser -u tokenportal -- sh -c 'set -a; . $conf; exec tokenportal admin create --login NAME --role superadmin'
MSG
	exit 0
fi

# Upgrade.
if [ -z "$systemd" ]; then
	echo "tokenportal: upgraded from $old_version; 'tokenportal serve' migrates the database when it starts."
	exit 0
fi
active=
enabled=
systemctl is-active --quiet "$unit" && active=yes
systemctl is-enabled --quiet "$unit" 2>/dev/null && enabled=yes
if [ -z "$active" ] && [ -z "$enabled" ]; then
	exit 0
fi
if ! grep -Eq '^[[:space:]]*DATABASE_URL=.' "$conf" 2>/dev/null && [ -z "$active" ]; then
	echo "tokenportal: $conf sets no DATABASE_URL; not migrating."
	exit 0
fi

# Migrate as the service would run: its user, its environment file (parsed by
# systemd, as for the service). A failure stops the upgrade here, with the
# running service left as it was.
echo "tokenportal: migrating the database (upgrade from $old_version)"
systemd-run --quiet --wait --pipe --collect --service-type=exec \
	--unit="tokenportal-migrate-$$" \
	--property=User=tokenportal --property=Group=tokenportal \
	--property=EnvironmentFile="$conf" \
	/usr/bin/tokenportal migrate

if [ -n "$active" ]; then
	systemctl restart "$unit"
fi
exit 0
