/**
 * systemd units for the server. No person-entered text goes into a unit: the only values
 * are the device path (checked against a strict pattern) and times built from validated
 * numbers. Values that systemd would expand (`%`, `$`) cannot occur.
 *
 * Jobs that sign S3 requests (backup, drill, a restore during sync) or make Caddy ask for
 * certificates (sync starts Caddy) wait for time-sync.target: a wrong clock makes both fail.
 */
import type { DeploymentConfig } from '../model/config.ts';
import { RenderError } from './app.ts';
import { BIN_DIR, DATA_LABEL, GATEWAY_DIR, JOURNAL_SOCKET, ROOT } from './paths.ts';

export interface Unit {
	name: string;
	enabled?: boolean;
	contents?: string;
	dropins?: { name: string; contents: string }[];
}

/** systemd-escape --path. */
export function systemdEscapePath(path: string): string {
	const trimmed = path.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '/');
	if (trimmed === '') return '-';
	return trimmed
		.split('/')
		.map((part) =>
			[...part]
				.map((ch, i) =>
					/[A-Za-z0-9:_]/.test(ch) || (ch === '.' && i > 0)
						? ch
						: [...new TextEncoder().encode(ch)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')
				)
				.join('')
		)
		.join('-');
}

export const MOUNT_UNIT = `${systemdEscapePath(ROOT)}.mount`;

/** Backup time: 90 minutes before the reboot window opens (same day or the day before). */
export function backupTime(windowStart: string): string {
	const m = /([0-9]{2}):([0-9]{2})$/.exec(windowStart);
	if (!m) throw new RenderError('The reboot window start is not a time.');
	const minutes = (Number(m[1]) * 60 + Number(m[2]) - 90 + 1440) % 1440;
	return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;
}

/** The monthly restore drill: on the 1st, an hour before the nightly backup (it restores the newest snapshot). */
export function drillTime(windowStart: string): string {
	const [h, m] = backupTime(windowStart).split(':').map(Number) as [number, number];
	const minutes = (h * 60 + m - 60 + 1440) % 1440;
	return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;
}

export function renderUnits(config: DeploymentConfig): Unit[] {
	const device = config.dataDevice;
	if (!/^\/dev\/disk\/by-id\/[A-Za-z0-9._:+-]{1,200}$/.test(device))
		throw new RenderError('The data volume must be a /dev/disk/by-id/ path.');
	const deviceUnit = `${systemdEscapePath(device)}.device`;
	const units: Unit[] = [
		{ name: 'docker.service', enabled: true },
		// Without it, time-sync.target is reached at once; with it, only once the clock is synchronised.
		{ name: 'systemd-time-wait-sync.service', enabled: true },
		// The data volume: format (only when blank), mount and sync start when its device appears,
		// at boot or later, and nothing in the boot waits for it. Until it is mounted, the empty
		// folder under it on the system disk is unwritable, so nothing (an app Docker restarts,
		// a script) can write files there that the volume would then hide.
		// A device unit's wants start only when the device appears while the system runs: a
		// volume that is already there when the system starts (the usual case) is mounted from here.
		{
			name: 'nassella-volume.service',
			enabled: true,
			contents: [
				'[Unit]',
				'Description=Mount the nassella data volume when it is attached at boot (one attached later mounts by itself)',
				'After=local-fs.target',
				'',
				'[Service]',
				'Type=oneshot',
				`ExecStart=/bin/sh -c 'if [ -e ${device} ]; then systemctl start --no-block ${MOUNT_UNIT}; else echo "nassella: the data volume ${device} is not attached yet; it is mounted as soon as it is"; fi'`,
				'',
				'[Install]',
				'WantedBy=multi-user.target',
				''
			].join('\n')
		},
		{
			name: 'nassella-data-guard.service',
			enabled: true,
			contents: [
				'[Unit]',
				'Description=Keep the nassella data folder on the system disk unwritable while the data volume is not mounted',
				'DefaultDependencies=no',
				'After=systemd-remount-fs.service',
				`Before=local-fs.target ${MOUNT_UNIT} docker.service`,
				'',
				'[Service]',
				'Type=oneshot',
				'RemainAfterExit=yes',
				`ExecStart=/bin/sh -c 'mkdir -p ${ROOT} && { mountpoint -q ${ROOT} || chattr +i ${ROOT}; }'`,
				'',
				'[Install]',
				'WantedBy=local-fs.target',
				''
			].join('\n')
		},
		{
			name: 'nassella-format-data.service',
			enabled: true,
			contents: [
				'[Unit]',
				'Description=Format the nassella data volume, only when it is blank',
				'DefaultDependencies=no',
				`BindsTo=${deviceUnit}`,
				`After=${deviceUnit}`,
				`Before=${MOUNT_UNIT}`,
				'',
				'[Service]',
				'Type=oneshot',
				'RemainAfterExit=yes',
				`ExecStart=/bin/bash ${BIN_DIR}/nassella-format-data ${device} ${DATA_LABEL}`,
				'',
				'[Install]',
				`WantedBy=${deviceUnit}`,
				''
			].join('\n')
		},
		{
			name: MOUNT_UNIT,
			enabled: true,
			contents: [
				'[Unit]',
				'Description=nassella data volume',
				'Requires=nassella-format-data.service',
				'After=nassella-format-data.service nassella-data-guard.service',
				'Before=docker.service',
				'Wants=nassella-sync.service',
				'',
				'[Mount]',
				`What=${device}`,
				`Where=${ROOT}`,
				'Type=ext4',
				'Options=defaults,noatime,discard',
				'',
				'[Install]',
				`WantedBy=${deviceUnit}`,
				''
			].join('\n')
		},
		{
			name: 'nassella-metadata-firewall.service',
			enabled: true,
			contents: [
				'[Unit]',
				'Description=Keep containers away from the cloud metadata endpoint (169.254.169.254)',
				'After=docker.service',
				'Requires=docker.service',
				'PartOf=docker.service',
				'',
				'[Service]',
				'Type=oneshot',
				'RemainAfterExit=yes',
				"ExecStart=/bin/sh -c 'iptables -w -N DOCKER-USER 2>/dev/null || true'",
				"ExecStart=/bin/sh -c 'iptables -w -C DOCKER-USER -d 169.254.169.254/32 -j DROP 2>/dev/null || iptables -w -I DOCKER-USER 1 -d 169.254.169.254/32 -j DROP'",
				'',
				'[Install]',
				'WantedBy=multi-user.target',
				''
			].join('\n')
		},
		{
			// Started by each sync (Wants=) until it succeeds; a failure only delays the apps: sync still reports it.
			name: 'nassella-fetch.service',
			contents: [
				'[Unit]',
				'Description=Download and check Docker Compose and age for nassella',
				'Wants=network-online.target time-sync.target',
				'After=network-online.target time-sync.target',
				'',
				'[Service]',
				'Type=oneshot',
				'RemainAfterExit=yes',
				`ExecStart=/bin/bash ${BIN_DIR}/nassella-fetch`,
				'TimeoutStartSec=40min',
				''
			].join('\n')
		},
		{
			name: 'nassella-sync.service',
			contents: [
				'[Unit]',
				'Description=Fetch, check and apply the nassella bundle',
				'Wants=network-online.target time-sync.target nassella-fetch.service',
				`After=network-online.target time-sync.target nassella-fetch.service docker.service nassella-metadata-firewall.service ${MOUNT_UNIT}`,
				'Requires=docker.service nassella-metadata-firewall.service',
				// Not RequiresMountsFor: a timer run must not wait for a missing device. The script
				// checks the mount, says plainly when the volume is missing, and writes nothing.
				'',
				'[Service]',
				'Type=oneshot',
				`ExecStart=/bin/bash ${BIN_DIR}/nassella-sync`,
				'TimeoutStartSec=45min',
				''
			].join('\n')
		},
		{
			name: 'nassella-sync.timer',
			enabled: true,
			contents: [
				'[Unit]',
				'Description=Check for a new nassella bundle regularly',
				'',
				'[Timer]',
				'OnBootSec=1min',
				'OnUnitInactiveSec=10min',
				'RandomizedDelaySec=1min',
				'',
				'[Install]',
				'WantedBy=timers.target',
				''
			].join('\n')
		},
		{
			name: 'systemd-journal-gatewayd.socket',
			enabled: true,
			dropins: [
				{
					name: 'nassella.conf',
					contents: [
						'# The gateway has no authentication: it listens only on a socket that Caddy reaches.',
						'[Socket]',
						'ListenStream=',
						`ListenStream=${JOURNAL_SOCKET}`,
						'SocketMode=0600',
						'DirectoryMode=0755',
						''
					].join('\n')
				}
			]
		}
	];
	if (config.backup) {
		units.push(
			{
				name: 'nassella-backup.service',
				contents: [
					'[Unit]',
					'Description=Back up the nassella data volume off-site (restic)',
					'Wants=network-online.target time-sync.target',
					'After=network-online.target time-sync.target docker.service nassella-sync.service',
					'Requires=docker.service',
					`RequiresMountsFor=${ROOT}`,
					'',
					'[Service]',
					'Type=oneshot',
					`ExecStart=/bin/bash ${ROOT}/current/bin/backup.sh`,
					'TimeoutStartSec=4h',
					'Nice=10',
					'IOSchedulingClass=idle',
					''
				].join('\n')
			},
			{
				name: 'nassella-backup.timer',
				enabled: true,
				contents: [
					'[Unit]',
					'Description=Nightly nassella backup, before the reboot window',
					'',
					'[Timer]',
					`OnCalendar=*-*-* ${backupTime(config.rebootWindow.start)}`,
					'RandomizedDelaySec=20min',
					'Persistent=true',
					'',
					'[Install]',
					'WantedBy=timers.target',
					''
				].join('\n')
			},
			{
				name: 'nassella-drill.service',
				contents: [
					'[Unit]',
					'Description=Restore drill: restore the newest backup to a throwaway folder and check it',
					'Wants=network-online.target time-sync.target',
					'After=network-online.target time-sync.target docker.service nassella-sync.service',
					'Requires=docker.service',
					`RequiresMountsFor=${ROOT}`,
					'',
					'[Service]',
					'Type=oneshot',
					`ExecStart=/bin/bash ${ROOT}/current/bin/drill.sh`,
					'TimeoutStartSec=4h',
					'Nice=10',
					'IOSchedulingClass=idle',
					''
				].join('\n')
			},
			{
				name: 'nassella-drill.timer',
				enabled: true,
				contents: [
					'[Unit]',
					'Description=Monthly nassella restore drill',
					'',
					'[Timer]',
					`OnCalendar=*-*-01 ${drillTime(config.rebootWindow.start)}`,
					'RandomizedDelaySec=20min',
					'Persistent=true',
					'',
					'[Install]',
					'WantedBy=timers.target',
					''
				].join('\n')
			}
		);
	}
	return units;
}

export { GATEWAY_DIR };
