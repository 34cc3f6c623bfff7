/** What a sandbox server reads from the Ignition config the app sent as user_data: its repo, branch, signers, age identity, restore flag and update window. */

export interface Ignition {
	repo: string;
	branch: string;
	allowedSigners: string;
	ageIdentity: string;
	restoreFromBackup: boolean;
	rebootWindow?: string;
}

function dataUrlText(source: string): string {
	const comma = source.indexOf(',');
	if (!source.startsWith('data:') || comma === -1) return '';
	const meta = source.slice(5, comma);
	const body = source.slice(comma + 1);
	return meta.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
}

/** The parts of a nassella Ignition config the server acts on; undefined for anything else. */
export function readIgnition(userData: string): Ignition | undefined {
	let doc: {
		ignition?: { version?: unknown };
		storage?: { files?: { path?: unknown; contents?: { source?: unknown } }[] };
	};
	try {
		doc = JSON.parse(userData) as typeof doc;
	} catch {
		return undefined;
	}
	if (typeof doc?.ignition?.version !== 'string') return undefined;
	const files = new Map<string, string>();
	for (const f of doc.storage?.files ?? [])
		if (typeof f.path === 'string' && typeof f.contents?.source === 'string')
			files.set(f.path, dataUrlText(f.contents.source));
	const sync = files.get('/etc/nassella/sync.conf');
	if (!sync) return undefined;
	const value = (name: string) => new RegExp(`^${name}='([^']*)'$`, 'm').exec(sync)?.[1];
	const remote = value('REMOTE_URL') ?? '';
	const repo = /^(?:ssh:\/\/)?git@[^:/]+[:/]([A-Za-z0-9._-]+\/[A-Za-z0-9._-]+?)(?:\.git)?$/.exec(remote)?.[1];
	if (!repo) return undefined;
	const update = files.get('/etc/flatcar/update.conf') ?? '';
	const start = /LOCKSMITHD_REBOOT_WINDOW_START="?([^"\n]+)"?/.exec(update)?.[1];
	const length = /LOCKSMITHD_REBOOT_WINDOW_LENGTH=(\S+)/.exec(update)?.[1];
	return {
		repo,
		branch: value('BRANCH') ?? 'main',
		allowedSigners: files.get('/etc/nassella/allowed_signers') ?? '',
		ageIdentity: (files.get('/etc/nassella/age-identity') ?? '').trim(),
		restoreFromBackup: files.has('/etc/nassella/restore-from-backup'),
		rebootWindow: start ? `${start}${length ? ` for ${length}` : ''}` : undefined
	};
}
