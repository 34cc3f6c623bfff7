/**
 * What the app keeps about a deployment besides its state: the person's setup choices
 * with their tokens, the deployment's keys, the settings the dashboard manages, a move's
 * target and the restore drill. Plain data (types only); `ports/vault.ts` maps each to
 * the vault record it is kept in.
 */
import type { RebootWindow } from '../model/config.ts';
import type { ServerStatus } from '../server/status.ts';

/** Everything the wizard keeps about a setup (in the vault, with the tokens). */
export interface SetupRecord {
	deploymentId: string;
	apps: string[];
	domain: string;
	inputs?: Record<string, Record<string, string>>;
	dns: { provider: string; token: string };
	cloud: { provider: string; token: string; region: string; size: string };
	/** An emergency SSH key (OpenSSH public key); none means no SSH at all. */
	sshPublicKey?: string;
	git: { host: string; token: string };
	backups: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string; resticPassword: string };
	/** Set from the dashboard: an https ntfy topic the server posts loud failures to. */
	ntfyTopic?: string;
	/** Set from the dashboard: one-off jobs for the server (rendered as requests.json). */
	requests?: { backup?: string; drill?: string };
	/** When the server may restart for updates; none: `DEFAULT_REBOOT_WINDOW` (core/deploy/reboot-window.ts). */
	rebootWindow?: RebootWindow;
}

/** A signing (or deploy) key as the vault keeps it. */
export interface SshKeyRecord {
	/** PKCS#8, base64. Secret. */
	privateKeyPkcs8: string;
	/** `ssh-ed25519 AAAA… comment`. */
	publicKey: string;
}

/** A deployment's keys, made once in the browser. */
export interface StoredKeys {
	age: { identity: string; recipient: string };
	deployKey: SshKeyRecord;
	signingKey: SshKeyRecord;
	admin: { user: string; password: string; passwordHash: string };
	appSecrets: Record<string, Record<string, string>>;
}

/** What the dashboard may change about a deployment. */
export interface ServerSettings {
	apps: string[];
	inputs: Record<string, Record<string, string>>;
	/** https URL of an ntfy topic the server posts loud failures to. */
	ntfyTopic?: string;
	/** One-off jobs for the server, each id handled once (`requests.json`). */
	requests?: { backup?: string; drill?: string };
	/** When the server may restart for updates (`update.conf` in the bundle). */
	rebootWindow?: RebootWindow;
}

export interface AppliedCommit {
	sha: string;
	/** When nassella made it (ms since epoch). */
	at: number;
	message: string;
	settings: ServerSettings;
	/** Catalog versions of the apps in that commit. */
	versions: Record<string, string>;
}

export interface Draft {
	settings: ServerSettings;
	message: string;
	at: number;
	error?: { message: string; action: string };
}

/** The dashboard's settings of one deployment, with the commits made from them. */
export interface SettingsRecord {
	version: 1;
	deploymentId: string;
	current: ServerSettings;
	/** Newest first. */
	commits: AppliedCommit[];
	draft?: Draft;
}

/**
 * The setup as the server runs it now: the setup record with what the dashboard changed
 * since (apps, their settings, the ntfy topic, the reboot window). One-off requests are
 * the dashboard's own and are not carried.
 */
export function setupAsRunning(setup: SetupRecord, settings: ServerSettings | undefined): SetupRecord {
	const { requests: _requests, ...base } = setup;
	if (!settings) return base;
	const { ntfyTopic: _topic, rebootWindow: _window, ...rest } = base;
	const window = settings.rebootWindow ?? setup.rebootWindow;
	return {
		...rest,
		apps: [...settings.apps],
		inputs: structuredClone(settings.inputs),
		...(settings.ntfyTopic ? { ntfyTopic: settings.ntfyTopic } : {}),
		...(window ? { rebootWindow: { ...window } } : {})
	};
}

/** Where a deployment moves to, with the new provider's token. */
export interface MoveTargetRecord {
	provider: string;
	token: string;
	region: string;
	size: string;
}

/** The restore drill of a deployment. */
export interface DrillRecord {
	/** The id the app committed last. */
	requestId?: string;
	requestedAt?: number;
	/** The last finished drill: when (ms), how, and what the server said. */
	last?: { id: string; at: number; ok: boolean; snapshot?: string; files?: number; error?: string };
}

/** The last status report the dashboard read from a server (so the first paint needs no network). */
export interface CachedStatus {
	version: 1;
	deploymentId: string;
	status: ServerStatus;
	/** When the app last read it (ms since epoch). */
	fetchedAt: number;
	/** The repository's head at that time, when it could be read. */
	head?: string;
}
