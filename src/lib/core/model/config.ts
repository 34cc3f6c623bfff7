/**
 * The deployment config model: everything the server generator needs to describe one
 * server. `config` holds what may be read by anyone who can read the repository's
 * non-secret files; `secrets` holds what must only ever leave the browser encrypted
 * (to the server's age key, or inside the Ignition config).
 *
 * Why the server's age identity may travel in Ignition: user-data is readable from the
 * cloud metadata endpoint (169.254.169.254) by any process on the machine. On the server
 * only root-run nassella units and containers run; every container is cut off from the
 * metadata endpoint by a DOCKER-USER drop rule that is in place before the first
 * container starts (nassella-metadata-firewall.service, a dependency of the sync unit),
 * and catalog apps may not use the host network. So the identity is readable only by
 * the host itself, which holds the decrypted secrets anyway.
 */
import { DEPLOYMENT_ID_PATTERN } from '../labels.ts';
import { DomainError, parseDomain, preview } from './domain.ts';
import {
	DEFAULT_VERSIONS,
	DOWNLOAD_NAMES,
	DOWNLOAD_URL,
	downloadFile,
	knownSha256,
	MAY_BE_UNPINNED,
	type DownloadKind,
	type DownloadPin
} from './downloads.ts';

export type { DownloadPin } from './downloads.ts';

export const CONFIG_VERSION = 1;

export interface AppSelection {
	/** Catalog app id. */
	id: string;
	/** Host name per entrypoint id; each defaults to `<entrypoint subdomain>.<domain>`. */
	hosts?: Record<string, string>;
	/** Values the person typed for the app's inputs (non-secret inputs). */
	inputs?: Record<string, string>;
}

export interface RebootWindow {
	/** Local start time, `HH:MM`, optionally with a weekday prefix such as `Sun 04:00`. */
	start: string;
	/** Length in whole hours (1–12) or minutes (`90m`). */
	length: string;
	/** IANA time zone the server's clock uses, such as `Europe/Berlin`; `UTC` by default. */
	timezone: string;
}

export interface BackupTarget {
	/** S3-compatible endpoint host, e.g. `s3.eu-central-003.backblazeb2.com`. */
	endpoint: string;
	bucket: string;
	/** Optional path inside the bucket. */
	prefix?: string;
	keepDaily: number;
	keepWeekly: number;
	keepMonthly: number;
}

export interface GitRemote {
	/** `ssh://git@host[:port]/owner/repo.git` or `git@host:owner/repo.git`. */
	url: string;
	branch: string;
	/** Pinned host keys, OpenSSH public key lines without host name (`ssh-ed25519 AAAA…`). */
	hostKeys: string[];
}

export interface DeploymentConfig {
	version: typeof CONFIG_VERSION;
	/** Deployment id (labels.ts pattern). */
	id: string;
	/** Base domain; apps get sub-domains of it unless given their own host. */
	domain: string;
	/** Host for status and logs; defaults to `nassella.<domain>`. */
	adminHost?: string;
	/** Origin of the nassella app, the only origin allowed to read status and logs (CORS). */
	appOrigin: string;
	/** Contact e-mail for the certificate authority (optional). */
	acmeEmail?: string;
	apps: AppSelection[];
	rebootWindow: RebootWindow;
	/** Public SSH keys allowed to log in as `core`; none means no SSH login. */
	sshKeys?: string[];
	/** Provider volume device, stable path: `/dev/disk/by-id/…`. */
	dataDevice: string;
	backup?: BackupTarget;
	git: GitRemote;
	/** Public keys (OpenSSH form) whose signatures on bundle commits the server accepts. */
	commitSigners: string[];
	/** age recipient (`age1…`) of the server's identity. */
	ageRecipient: string;
	/** ntfy topic URL for loud failures, e.g. `https://ntfy.sh/my-secret-topic` (secret-ish: unguessable). */
	ntfyTopic?: string;
	/** Status and log access for the nassella app: user name and bcrypt hash of the password. */
	admin: { user: string; passwordHash: string };
	/** Restore a backup before the apps first start (a reinstall or a move). */
	restoreFromBackup?: boolean;
	/** Which snapshot to restore (restic id, 8–64 hex digits); the newest when absent. Needs restoreFromBackup. */
	restoreSnapshot?: string;
	/**
	 * One-off jobs for the server, rendered as `requests.json`: the server runs each new id
	 * once after applying the commit (backup now, restore drill) and reports it in
	 * status.json `requests`. Ids match REQUEST_ID.
	 */
	requests?: ServerRequests;
	/** Outgoing mail for apps that send e-mail (the password is in secrets.smtpPassword). */
	smtp?: { host: string; port: number; username: string; from: string; security: 'starttls' | 'tls' | 'none' };
	/** CPU architecture of the server (default amd64); picks the sysext build and limits the apps. */
	architecture?: 'amd64' | 'arm64';
	/**
	 * The Docker Compose extension the server installs (a sysext image of Flatcar's bakery).
	 * `sha256` is the image's hash: needed unless nassella knows it for that version
	 * (downloads.ts); `url` a full https:// address of a mirror.
	 */
	composeSysext?: DownloadPin;
	/** age, which decrypts the env files: the release tarball's version, sha256 and address, as for composeSysext. */
	age?: DownloadPin;
}

export interface ServerRequests {
	backup?: string;
	drill?: string;
}

export interface DeploymentSecrets {
	/** The server's age identity, `AGE-SECRET-KEY-1…` (browser-generated). */
	ageIdentity: string;
	/** The server's read-only deploy key, OpenSSH private key (PEM-like text). */
	deployKey: string;
	backup?: { accessKeyId: string; secretAccessKey: string; resticPassword: string };
	smtpPassword?: string;
	/** Per app: secret name → value (generated passwords, tokens, secret inputs). */
	apps: Record<string, Record<string, string>>;
}

export interface Deployment {
	config: DeploymentConfig;
	secrets: DeploymentSecrets;
}

export interface ConfigIssue {
	/** Dotted path of the field, e.g. `config.apps[2].host`. */
	path: string;
	message: string;
}

export class ConfigError extends Error {
	readonly issues: ConfigIssue[];
	constructor(issues: ConfigIssue[]) {
		super(
			issues.length === 1
				? `${issues[0]!.path}: ${issues[0]!.message}`
				: `The deployment settings have ${issues.length} problems:\n` +
						issues.map((i) => `- ${i.path}: ${i.message}`).join('\n')
		);
		this.name = 'ConfigError';
		this.issues = issues;
	}
}

export const APP_ID = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const SSH_PUBLIC_KEY =
	/^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}( [\x21-\x7e][\x20-\x7e]{0,99})?$/;
const HOST_KEY =
	/^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/]+={0,3}$/;
const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const AGE_IDENTITY = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;
const DEVICE = /^\/dev\/disk\/by-id\/[A-Za-z0-9._:+-]{1,200}$/;
const WINDOW_START = /^((Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?([01][0-9]|2[0-3]):[0-5][0-9]$/;
const WINDOW_LENGTH = /^([1-9]|1[0-2])h$|^([1-9][0-9]|[1-6][0-9][0-9]|7[0-1][0-9]|720)m$/;
const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;
const SEMVER = /^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const ADMIN_USER = /^[a-z][a-z0-9_-]{0,31}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Ids of one-off server requests (`config.requests`). */
export const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const SNAPSHOT_ID = /^[0-9a-f]{8,64}$/;
const PREFIX = /^[A-Za-z0-9._-]{1,64}(\/[A-Za-z0-9._-]{1,64}){0,4}$/;

/** The Docker Compose sysext version the generator pins when a config names none. */
export const DEFAULT_COMPOSE_SYSEXT_VERSION = DEFAULT_VERSIONS.composeSysext;

function timeZones(): Set<string> {
	const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
	return new Set(['UTC', ...(intl.supportedValuesOf?.('timeZone') ?? [])]);
}

function isObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a git SSH remote into host, port and path, or undefined when it is not one. */
export function parseGitSshUrl(url: string): { user: string; host: string; port: number; path: string } | undefined {
	let m = /^ssh:\/\/([a-z_][a-z0-9_-]{0,31})@([A-Za-z0-9.-]{1,253})(?::([0-9]{1,5}))?\/([A-Za-z0-9._~/-]{1,200})$/.exec(
		url
	);
	if (m) {
		const port = m[3] ? Number(m[3]) : 22;
		if (port < 1 || port > 65535) return undefined;
		return { user: m[1]!, host: m[2]!.toLowerCase(), port, path: m[4]! };
	}
	m = /^([a-z_][a-z0-9_-]{0,31})@([A-Za-z0-9.-]{1,253}):([A-Za-z0-9._~-][A-Za-z0-9._~/-]{0,199})$/.exec(url);
	if (m) return { user: m[1]!, host: m[2]!.toLowerCase(), port: 22, path: m[3]! };
	return undefined;
}

/** Why a download address is refused, or undefined when it is fine (https, a host name, plain characters). */
function downloadUrlProblem(url: string): string | undefined {
	let parsed: URL | undefined;
	try {
		parsed = new URL(url);
	} catch {
		parsed = undefined;
	}
	if (parsed && parsed.protocol !== 'https:')
		return 'must use https:// (downloads are checked, and fetched over HTTPS only).';
	let host: boolean;
	try {
		host = !!parsed && parseDomain(parsed.hostname).ascii === parsed.hostname;
	} catch {
		host = false;
	}
	if (host && DOWNLOAD_URL.test(url)) return undefined;
	return 'is not a download address such as https://mirror.example.org/files/name (a host name, no user or password; letters, digits and . _ ~ % / + = & ? - only).';
}

/**
 * Checks a deployment and returns it with domains normalised to punycode. Throws a
 * ConfigError listing every problem; messages never repeat a secret value.
 */
export function validateDeployment(input: unknown): Deployment {
	const issues: ConfigIssue[] = [];
	const add = (path: string, message: string) => issues.push({ path, message });
	if (!isObject(input) || !isObject(input.config) || !isObject(input.secrets)) {
		throw new ConfigError([{ path: '(top)', message: 'Expected an object with "config" and "secrets" sections.' }]);
	}
	const c = input.config as Record<string, unknown>;
	const s = input.secrets as Record<string, unknown>;
	const str = (obj: Record<string, unknown>, key: string, path: string, optional = false): string | undefined => {
		const v = obj[key];
		if (v === undefined && optional) return undefined;
		if (typeof v !== 'string') {
			add(path, 'is missing or not text.');
			return undefined;
		}
		return v;
	};
	const domainOf = (value: string | undefined, path: string): string | undefined => {
		if (value === undefined) return undefined;
		try {
			return parseDomain(value).ascii;
		} catch (e) {
			add(path, e instanceof DomainError ? e.message : 'is not a valid domain name.');
			return undefined;
		}
	};

	if (c.version !== CONFIG_VERSION) add('config.version', `must be ${CONFIG_VERSION}.`);
	const id = str(c, 'id', 'config.id');
	if (id !== undefined && !DEPLOYMENT_ID_PATTERN.test(id))
		add('config.id', 'must be 8 to 16 lowercase letters or digits.');
	const domain = domainOf(str(c, 'domain', 'config.domain'), 'config.domain');
	const adminHostRaw = str(c, 'adminHost', 'config.adminHost', true);
	const adminHost = adminHostRaw === undefined ? undefined : domainOf(adminHostRaw, 'config.adminHost');

	const appOrigin = str(c, 'appOrigin', 'config.appOrigin');
	let origin: string | undefined;
	if (appOrigin !== undefined) {
		try {
			const u = new URL(appOrigin);
			const local = u.hostname === '127.0.0.1' || u.hostname === 'localhost';
			if ((u.protocol !== 'https:' && !(u.protocol === 'http:' && local)) || u.origin !== appOrigin.replace(/\/$/, ''))
				throw new Error();
			if (!local) parseDomain(u.hostname);
			origin = u.origin;
		} catch {
			add('config.appOrigin', 'must be an origin such as https://app.nassella.org (no path).');
		}
	}
	const acmeEmail = str(c, 'acmeEmail', 'config.acmeEmail', true);
	if (acmeEmail !== undefined && !/^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$/.test(acmeEmail))
		add('config.acmeEmail', 'is not a plain e-mail address.');

	const apps: AppSelection[] = [];
	if (!Array.isArray(c.apps) || c.apps.length === 0) add('config.apps', 'must list at least one app.');
	else {
		const seen = new Set<string>();
		c.apps.forEach((a, i) => {
			const p = `config.apps[${i}]`;
			if (!isObject(a)) return add(p, 'must be an object.');
			const appId = str(a, 'id', `${p}.id`);
			if (appId === undefined) return;
			if (!APP_ID.test(appId)) return add(`${p}.id`, `"${preview(appId)}" is not a catalog app id.`);
			if (seen.has(appId)) add(`${p}.id`, `${appId} is listed twice.`);
			seen.add(appId);
			const hosts: Record<string, string> = {};
			if (a.hosts !== undefined) {
				if (!isObject(a.hosts)) add(`${p}.hosts`, 'must map entrypoint ids to host names.');
				else
					for (const [ep, h] of Object.entries(a.hosts)) {
						if (!/^[a-z][a-z0-9_]{0,62}$/.test(ep)) add(`${p}.hosts`, `"${preview(ep)}" is not an entrypoint id.`);
						else if (typeof h !== 'string') add(`${p}.hosts.${ep}`, 'must be a host name.');
						else {
							const v = domainOf(h, `${p}.hosts.${ep}`);
							if (v) hosts[ep] = v;
						}
					}
			}
			const inputs: Record<string, string> = {};
			if (a.inputs !== undefined) {
				if (!isObject(a.inputs)) add(`${p}.inputs`, 'must be an object of text values.');
				else
					for (const [k, v] of Object.entries(a.inputs)) {
						if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(k)) add(`${p}.inputs`, `"${preview(k)}" is not an input name.`);
						else if (typeof v !== 'string') add(`${p}.inputs.${k}`, 'must be text.');
						else if (v.length > 4096) add(`${p}.inputs.${k}`, 'is longer than 4096 characters.');
						else inputs[k] = v;
					}
			}
			apps.push({ id: appId, ...(Object.keys(hosts).length ? { hosts } : {}), inputs });
		});
	}

	let rebootWindow: RebootWindow | undefined;
	if (!isObject(c.rebootWindow)) add('config.rebootWindow', 'is missing.');
	else {
		const start = str(c.rebootWindow, 'start', 'config.rebootWindow.start');
		const length = str(c.rebootWindow, 'length', 'config.rebootWindow.length');
		const timezone = str(c.rebootWindow, 'timezone', 'config.rebootWindow.timezone');
		if (start !== undefined && !WINDOW_START.test(start))
			add('config.rebootWindow.start', 'must be a time such as 04:00 or "Sun 04:00".');
		if (length !== undefined && !WINDOW_LENGTH.test(length))
			add('config.rebootWindow.length', 'must be 1h to 12h, or minutes such as 90m.');
		if (timezone !== undefined && !timeZones().has(timezone))
			add('config.rebootWindow.timezone', `"${preview(timezone)}" is not a known time zone such as Europe/Berlin.`);
		if (start && length && timezone) rebootWindow = { start, length, timezone };
	}

	const sshKeys: string[] = [];
	if (c.sshKeys !== undefined) {
		if (!Array.isArray(c.sshKeys)) add('config.sshKeys', 'must be a list.');
		else
			c.sshKeys.forEach((k, i) => {
				if (typeof k !== 'string' || !SSH_PUBLIC_KEY.test(k))
					add(`config.sshKeys[${i}]`, 'is not one OpenSSH public key line (ssh-ed25519 AAAA… comment).');
				else sshKeys.push(k);
			});
	}
	const dataDevice = str(c, 'dataDevice', 'config.dataDevice');
	if (dataDevice !== undefined && !DEVICE.test(dataDevice))
		add('config.dataDevice', 'must be a stable device path under /dev/disk/by-id/.');

	let backup: BackupTarget | undefined;
	if (c.backup !== undefined) {
		if (!isObject(c.backup)) add('config.backup', 'must be an object.');
		else {
			const b = c.backup;
			const endpoint = domainOf(str(b, 'endpoint', 'config.backup.endpoint'), 'config.backup.endpoint');
			const bucket = str(b, 'bucket', 'config.backup.bucket');
			if (bucket !== undefined && !BUCKET.test(bucket))
				add('config.backup.bucket', 'must be 3–63 lowercase letters, digits, dots or hyphens.');
			const prefix = str(b, 'prefix', 'config.backup.prefix', true);
			if (prefix !== undefined && !PREFIX.test(prefix))
				add('config.backup.prefix', 'may use letters, digits, . _ - and up to four /.');
			const keep = (k: string, def: number) => {
				const v = b[k] ?? def;
				if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1000) {
					add(`config.backup.${k}`, 'must be a whole number from 0 to 1000.');
					return def;
				}
				return v;
			};
			const keepDaily = keep('keepDaily', 7),
				keepWeekly = keep('keepWeekly', 4),
				keepMonthly = keep('keepMonthly', 6);
			if (endpoint && bucket)
				backup = { endpoint, bucket, ...(prefix ? { prefix } : {}), keepDaily, keepWeekly, keepMonthly };
		}
	}

	let git: GitRemote | undefined;
	if (!isObject(c.git)) add('config.git', 'is missing.');
	else {
		const url = str(c.git, 'url', 'config.git.url');
		if (url !== undefined && !parseGitSshUrl(url))
			add('config.git.url', 'must be an SSH remote such as git@github.com:owner/repo.git.');
		const branch = str(c.git, 'branch', 'config.git.branch');
		if (branch !== undefined && (!BRANCH.test(branch) || branch.includes('..') || branch.endsWith('.lock')))
			add('config.git.branch', 'is not a plain branch name.');
		const hostKeys: string[] = [];
		if (!Array.isArray(c.git.hostKeys) || c.git.hostKeys.length === 0)
			add('config.git.hostKeys', "must list the git host's SSH host keys (pinned).");
		else
			c.git.hostKeys.forEach((k, i) => {
				if (typeof k !== 'string' || !HOST_KEY.test(k))
					add(`config.git.hostKeys[${i}]`, 'is not an SSH host key (ssh-ed25519 AAAA…).');
				else hostKeys.push(k);
			});
		if (url && branch) git = { url, branch, hostKeys };
	}
	const commitSigners: string[] = [];
	if (!Array.isArray(c.commitSigners) || c.commitSigners.length === 0)
		add('config.commitSigners', 'must list at least one public key that signs bundle commits.');
	else
		c.commitSigners.forEach((k, i) => {
			if (typeof k !== 'string' || !/^ssh-ed25519 [A-Za-z0-9+/]+={0,3}( [\x21-\x7e][\x20-\x7e]{0,99})?$/.test(k))
				add(`config.commitSigners[${i}]`, 'must be an Ed25519 public key in OpenSSH form.');
			else commitSigners.push(k);
		});
	const ageRecipient = str(c, 'ageRecipient', 'config.ageRecipient');
	if (ageRecipient !== undefined && !AGE_RECIPIENT.test(ageRecipient))
		add('config.ageRecipient', 'is not an age recipient (age1…).');
	const ntfyTopic = str(c, 'ntfyTopic', 'config.ntfyTopic', true);
	if (ntfyTopic !== undefined) {
		const m = /^https:\/\/([A-Za-z0-9.-]+)\/([A-Za-z0-9_-]{1,64})$/.exec(ntfyTopic);
		if (!m) add('config.ntfyTopic', 'must be a topic URL such as https://ntfy.sh/a-long-random-name.');
		else domainOf(m[1], 'config.ntfyTopic');
	}
	let admin: DeploymentConfig['admin'] | undefined;
	if (!isObject(c.admin)) add('config.admin', 'is missing.');
	else {
		const user = str(c.admin, 'user', 'config.admin.user');
		const passwordHash = str(c.admin, 'passwordHash', 'config.admin.passwordHash');
		if (user !== undefined && !ADMIN_USER.test(user))
			add('config.admin.user', 'must be a short lowercase name (letters, digits, _ and -).');
		if (passwordHash !== undefined && !BCRYPT.test(passwordHash))
			add('config.admin.passwordHash', 'must be a bcrypt hash ($2b$…); the plain password is never stored.');
		if (user && passwordHash) admin = { user, passwordHash };
	}
	if (c.restoreFromBackup !== undefined && typeof c.restoreFromBackup !== 'boolean')
		add('config.restoreFromBackup', 'must be true or false.');
	if (c.restoreFromBackup === true && c.backup === undefined)
		add('config.restoreFromBackup', 'needs a backup target to restore from.');
	const restoreSnapshot = str(c, 'restoreSnapshot', 'config.restoreSnapshot', true);
	if (restoreSnapshot !== undefined) {
		if (!SNAPSHOT_ID.test(restoreSnapshot))
			add('config.restoreSnapshot', 'must be a snapshot id: 8 to 64 lowercase hex digits.');
		if (c.restoreFromBackup !== true) add('config.restoreSnapshot', 'is only used with restoreFromBackup.');
	}
	let requests: ServerRequests | undefined;
	if (c.requests !== undefined) {
		if (!isObject(c.requests)) add('config.requests', 'must be an object such as {"backup": "an id"}.');
		else {
			requests = {};
			for (const key of Object.keys(c.requests))
				if (key !== 'backup' && key !== 'drill')
					add('config.requests', `"${preview(key)}" is not a request the server knows (backup, drill).`);
			for (const key of ['backup', 'drill'] as const) {
				const v = str(c.requests, key, `config.requests.${key}`, true);
				if (v === undefined) continue;
				if (!REQUEST_ID.test(v))
					add(`config.requests.${key}`, 'must be 1 to 64 letters, digits, dots, underscores or hyphens.');
				else requests[key] = v;
			}
			if ((requests.backup || requests.drill) && c.backup === undefined)
				add('config.requests', 'a backup or a restore drill needs a backup target.');
		}
	}
	if (c.architecture !== undefined && c.architecture !== 'amd64' && c.architecture !== 'arm64')
		add('config.architecture', 'must be amd64 or arm64.');
	const arch = c.architecture === 'arm64' ? 'arm64' : 'amd64';
	// A download is used only with a sha256: the config's, or one nassella has checked. The one
	// exception is the Docker Compose extension while KNOWN_SHA256 has no checked hash for it
	// (downloads.ts): the server then takes it over HTTPS alone and says so in its journal.
	const pinOf = (kind: DownloadKind): DownloadPin | undefined => {
		const p = `config.${kind}`;
		const name = DOWNLOAD_NAMES[kind];
		const v = c[kind];
		if (v === undefined) {
			if (!knownSha256(kind, DEFAULT_VERSIONS[kind], arch) && !MAY_BE_UNPINNED[kind])
				add(
					p,
					`is needed with the sha256 of ${name} ${DEFAULT_VERSIONS[kind]} (${arch}): nassella knows no checked hash for ${downloadFile(kind, DEFAULT_VERSIONS[kind], arch)}. Give {"version": "${DEFAULT_VERSIONS[kind]}", "sha256": "<64 hex digits>"}.`
				);
			return undefined;
		}
		if (!isObject(v)) {
			add(p, 'must be an object such as {"version": "1.2.3", "sha256": "…"}.');
			return undefined;
		}
		const version = str(v, 'version', `${p}.version`);
		const sha256 = str(v, 'sha256', `${p}.sha256`, true);
		const url = str(v, 'url', `${p}.url`, true);
		let ok = true;
		if (version !== undefined && !SEMVER.test(version)) {
			add(`${p}.version`, `must be a version such as ${DEFAULT_VERSIONS[kind]}.`);
			ok = false;
		}
		if (sha256 !== undefined && !SHA256_HEX.test(sha256)) {
			add(`${p}.sha256`, 'must be 64 lowercase hex digits.');
			ok = false;
		}
		if (url !== undefined) {
			const problem = downloadUrlProblem(url);
			if (problem) {
				add(`${p}.url`, problem);
				ok = false;
			}
		}
		if (!version || !ok) return undefined;
		if (sha256 === undefined && !knownSha256(kind, version, arch) && !MAY_BE_UNPINNED[kind])
			add(`${p}.sha256`, `is needed: nassella knows no checked hash for ${name} ${version} (${arch}).`);
		return { version, ...(sha256 ? { sha256 } : {}), ...(url ? { url } : {}) };
	};
	const composeSysext = pinOf('composeSysext');
	const age = pinOf('age');

	let smtp: DeploymentConfig['smtp'];
	if (c.smtp !== undefined) {
		if (!isObject(c.smtp)) add('config.smtp', 'must be an object.');
		else {
			const host = domainOf(str(c.smtp, 'host', 'config.smtp.host'), 'config.smtp.host');
			const port = c.smtp.port;
			if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
				add('config.smtp.port', 'must be a port number.');
			const username = str(c.smtp, 'username', 'config.smtp.username');
			// eslint-disable-next-line no-control-regex
			if (username !== undefined && (username.length > 256 || /[\u0000-\u001f\u007f]/.test(username)))
				add('config.smtp.username', 'must be up to 256 characters without line breaks.');
			const from = str(c.smtp, 'from', 'config.smtp.from');
			if (from !== undefined && !/^[^\s@]{1,64}@[A-Za-z0-9.-]{1,190}$/.test(from))
				add('config.smtp.from', 'must be an e-mail address.');
			const security = c.smtp.security;
			if (security !== 'starttls' && security !== 'tls' && security !== 'none')
				add('config.smtp.security', 'must be starttls, tls or none.');
			if (host && typeof port === 'number' && username !== undefined && from && typeof security === 'string')
				smtp = { host, port, username, from, security: security as 'starttls' | 'tls' | 'none' };
		}
	}

	// Secrets: shapes only; messages never include the values.
	const smtpPassword = str(s, 'smtpPassword', 'secrets.smtpPassword', true);
	const ageIdentity = str(s, 'ageIdentity', 'secrets.ageIdentity');
	if (ageIdentity !== undefined && !AGE_IDENTITY.test(ageIdentity))
		add('secrets.ageIdentity', 'is not an age identity (AGE-SECRET-KEY-1…).');
	const deployKey = str(s, 'deployKey', 'secrets.deployKey');
	if (
		deployKey !== undefined &&
		!/^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]{1,8000}\n-----END OPENSSH PRIVATE KEY-----\n?$/.test(
			deployKey
		)
	)
		add('secrets.deployKey', 'is not an OpenSSH private key.');
	let backupSecrets: DeploymentSecrets['backup'];
	if (s.backup !== undefined) {
		if (!isObject(s.backup)) add('secrets.backup', 'must be an object.');
		else {
			const a = str(s.backup, 'accessKeyId', 'secrets.backup.accessKeyId');
			const k = str(s.backup, 'secretAccessKey', 'secrets.backup.secretAccessKey');
			const r = str(s.backup, 'resticPassword', 'secrets.backup.resticPassword');
			for (const [name, v] of [
				['accessKeyId', a],
				['secretAccessKey', k],
				['resticPassword', r]
			] as const)
				// eslint-disable-next-line no-control-regex
				if (v !== undefined && (v.length === 0 || v.length > 1024 || /[\u0000-\u001f\u007f']/.test(v)))
					add(`secrets.backup.${name}`, "must be 1–1024 characters without line breaks, control characters or '.");
			if (a && k && r) backupSecrets = { accessKeyId: a, secretAccessKey: k, resticPassword: r };
		}
	}
	if (backup && !backupSecrets) add('secrets.backup', 'the backup target needs its access keys and a restic password.');
	const appSecrets: Record<string, Record<string, string>> = {};
	if (s.apps !== undefined && !isObject(s.apps)) add('secrets.apps', 'must be an object.');
	else
		for (const [appId, values] of Object.entries((s.apps ?? {}) as Record<string, unknown>)) {
			if (!isObject(values)) {
				add(`secrets.apps.${preview(appId)}`, 'must be an object of text values.');
				continue;
			}
			const out: Record<string, string> = {};
			for (const [k, v] of Object.entries(values)) {
				if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(k))
					add(`secrets.apps.${appId}`, `"${preview(k)}" is not a secret name.`);
				else if (typeof v !== 'string') add(`secrets.apps.${appId}.${k}`, 'must be text.');
				else out[k] = v;
			}
			appSecrets[appId] = out;
		}

	if (issues.length > 0) throw new ConfigError(issues);
	return {
		config: {
			version: CONFIG_VERSION,
			id: id!,
			domain: domain!,
			...(adminHost ? { adminHost } : {}),
			appOrigin: origin!,
			...(acmeEmail ? { acmeEmail } : {}),
			apps,
			rebootWindow: rebootWindow!,
			...(sshKeys.length ? { sshKeys } : {}),
			dataDevice: dataDevice!,
			...(backup ? { backup } : {}),
			git: git!,
			commitSigners,
			ageRecipient: ageRecipient!,
			...(ntfyTopic ? { ntfyTopic } : {}),
			admin: admin!,
			...(c.restoreFromBackup === true ? { restoreFromBackup: true } : {}),
			...(restoreSnapshot ? { restoreSnapshot } : {}),
			...(requests && (requests.backup || requests.drill) ? { requests } : {}),
			...(smtp ? { smtp } : {}),
			...(c.architecture === 'arm64' ? { architecture: 'arm64' as const } : {}),
			...(composeSysext ? { composeSysext } : {}),
			...(age ? { age } : {})
		},
		secrets: {
			ageIdentity: ageIdentity!,
			deployKey: deployKey!,
			...(backupSecrets ? { backup: backupSecrets } : {}),
			...(smtpPassword !== undefined ? { smtpPassword } : {}),
			apps: appSecrets
		}
	};
}
