/**
 * The app catalog's manifest format: one `catalog/<app-id>/manifest.yaml` per app, validated by
 * `catalog/schema.json` and by `checkManifest()` (rules a JSON Schema cannot express).
 *
 * Compose values (environment values, commands, volume sources…) may refer to values only known
 * at deploy time through placeholders of the form `{{kind.name}}` (see `placeholders.ts`):
 *
 *   {{secret.<id>}}   a generated secret declared in `secrets`
 *   {{input.<id>}}    a value the person gave, declared in `inputs`
 *   {{host.<id>}}     the host name of an entrypoint, e.g. `vault.example.org`
 *   {{url.<id>}}      the public URL of an entrypoint, e.g. `https://vault.example.org`
 *   {{smtp.<field>}}  outgoing mail settings (host, port, username, password, from, from_local,
 *                     from_domain, security), only inside `smtp.environment`
 *   {{data}}          the app's own directory on the data volume (only in volumes: it is a host path)
 *   {{timezone}}      the server's time zone (IANA name, e.g. `Europe/Berlin`)
 *
 * A `$` never appears in a catalog compose value: Compose would read it as interpolation.
 *
 * Field names here are a contract with the server generator: change them additively only.
 */

/** Manifest format version. */
export const MANIFEST_VERSION = 1;

export const CATEGORIES = [
	'files',
	'photos',
	'media',
	'passwords',
	'productivity',
	'notes',
	'reading',
	'finance',
	'communication',
	'development',
	'monitoring',
	'analytics',
	'websites',
	'security'
] as const;
export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_LABELS: Record<Category, string> = {
	files: 'Files and sync',
	photos: 'Photos',
	media: 'Music, films and books',
	passwords: 'Passwords',
	productivity: 'Productivity',
	notes: 'Notes and writing',
	reading: 'News and reading',
	finance: 'Money',
	communication: 'Chat and notifications',
	development: 'Code',
	monitoring: 'Monitoring',
	analytics: 'Website statistics',
	websites: 'Websites and blogs',
	security: 'Sign-in'
};

export type Architecture = 'amd64' | 'arm64';

/** An HTTP entrypoint: Caddy serves `https://<subdomain>.<domain><path>` from `service:port`. */
export interface Entrypoint {
	/** Name used in placeholders (`{{host.main}}`); the first entrypoint is usually `main`. */
	id: string;
	service: string;
	/** The port the container listens on inside the app's network (never published on the host). */
	port: number;
	/** Default subdomain; the person may change it. */
	subdomain: string;
	/** Path prefix the app is served under; `/` for the whole host. */
	path?: string;
}

/** How the server checks that the app is up: an HTTP request through the app's network. */
export interface HealthCheck {
	/** Entrypoint id to probe. */
	entrypoint: string;
	/** Path requested on that entrypoint's service and port, e.g. `/alive`. */
	path: string;
	/** Status codes that count as healthy (default [200]). */
	status?: number[];
	/** Seconds the app may take to come up after a start before it counts as unhealthy. */
	startPeriodSeconds?: number;
}

export type SecretAlphabet = 'alphanumeric' | 'hex' | 'base64url';

/** A secret generated once when the app is added, stored in the vault and reused on every render. */
export interface GeneratedSecretSpec {
	id: string;
	/** Number of characters. */
	length: number;
	alphabet: SecretAlphabet;
	/** What it is for, in plain words. */
	description: string;
	bcryptOf?: undefined;
}

/**
 * A secret made from another one: the bcrypt hash of a generated secret, for apps that take a
 * password hash (ntfy's declared users). Made once in the browser and kept in the vault like
 * the others (the pure core cannot run bcrypt).
 */
export interface DerivedSecretSpec {
	id: string;
	/** The generated secret this is the bcrypt hash of. */
	bcryptOf: string;
	description: string;
	length?: undefined;
	alphabet?: undefined;
}

export type SecretSpec = GeneratedSecretSpec | DerivedSecretSpec;

/**
 * How an app is safe from its first minute on the public internet, when bots that read
 * certificate-transparency logs may visit before the person does:
 * - `generated-admin`: the admin account is created at the first start with a generated password
 *   (environment variables), so there is nothing for a first visitor to claim;
 * - `signup-off`: nobody can create an account without something only the person has (an admin
 *   token, a registration token); public sign-ups are off;
 * - `setup-gate`: the app lets its first visitor create the admin account (or starts with a
 *   published default login), so Caddy keeps it behind a one-time setup password until the
 *   person says setup is done;
 * - `no-accounts`: the app has no accounts and nothing to take over.
 */
export type FirstStartKind = 'generated-admin' | 'signup-off' | 'setup-gate' | 'no-accounts';

export interface FirstStart {
	kind: FirstStartKind;
	/** One or two sentences, in plain words: what protects the app at first. */
	how: string;
	/**
	 * The first sign-in nassella shows the person (from the vault): an optional user name (may use
	 * `{{input.<id>}}`) and the generated secret that goes with it; `label` names the secret when
	 * it is not a password (an admin token).
	 */
	login?: { user?: string; secret: string; label?: string };
	/** Inputs that let anyone create an account, with the value that keeps sign-ups closed (their default). */
	signups?: { input: string; closed: string }[];
	/** The login the app starts with as published upstream: only behind the setup gate, where the person replaces it. */
	defaultLogin?: { user: string; password: string };
	/** Input values used while the setup gate is up (sign-ups open, so the person can create the first account). */
	whileGated?: Record<string, string>;
}

export type InputType = 'text' | 'email' | 'password' | 'select' | 'boolean';

export interface InputOption {
	value: string;
	label: string;
}

/** A value the person gives when adding the app. */
export interface InputSpec {
	id: string;
	type: InputType;
	label: string;
	/** Plain-language help shown under the field. */
	help: string;
	required?: boolean;
	/** For `boolean`: 'true' or 'false'; for `select`: one of the options' values. */
	default?: string;
	/** Regular expression (JavaScript syntax, anchored by the validator) a text value must match. */
	pattern?: string;
	/** Message shown when `pattern` does not match. */
	patternHelp?: string;
	minLength?: number;
	maxLength?: number;
	/** For `select`. */
	options?: InputOption[];
}

/** Memory and disk the app needs; memory in MiB, disk in MiB. */
export interface Resources {
	ramMinMiB: number;
	ramRecommendedMiB: number;
	diskMiB: number;
}

/** Where a figure comes from: the page, and what it says in plain words. */
export interface Source {
	url: string;
	says: string;
}

/**
 * A lighter way to run the app, chosen with one of its inputs (Immich without machine
 * learning): smaller figures, and services that are left out altogether.
 */
export interface LighterResources {
	/** The input that chooses it, and the value that does. */
	input: string;
	value: string;
	ramMinMiB: number;
	ramRecommendedMiB: number;
	/** Services not run at all in this variant. */
	omitServices: string[];
}

/**
 * What the app needs and how its memory is capped. Figures are the app's own share (its
 * services together); where the upstream states figures for a whole machine, the server's own
 * share (`BASE_OVERHEAD` in fit.ts) is taken off and the source says so.
 */
export interface AppResources extends Resources {
	/** Memory limit per service, in MiB: every service has one, and together they are at least ramRecommendedMiB. */
	memoryLimitsMiB: Record<string, number>;
	/** Where the figures come from (the upstream's own documentation first). */
	sources: Source[];
	lighter?: LighterResources;
}

/**
 * A command run inside a running service (`docker compose exec -T <service> <command…>`).
 * For a dump, its standard output is written to `file`; for a restore, `file` is fed to its
 * standard input. `file` is relative to the app's data directory.
 */
export interface ServiceCommand {
	service: string;
	command: string[];
	file: string;
}

export interface BackupSpec {
	/** Run before each backup, so a consistent dump lands on the data volume. */
	dumps: ServiceCommand[];
	/** Run after restoring the files, with the app's database service running, to load the dumps. */
	restore: ServiceCommand[];
	/** Paths (relative to the app's data directory) left out of backups: caches, thumbnails, live database files that the dump covers. */
	exclude: string[];
	/**
	 * Stop the app's services while the backup snapshot is taken (apps that keep SQLite or other
	 * live files without a dump command), then start them again.
	 */
	stopDuringBackup?: boolean;
	/** Anything a person should know about backing this app up, in plain words. */
	notes?: string;
}

/** Extra environment for one service, added only when the person has set up outgoing mail. */
export interface SmtpSpec {
	service: string;
	environment: Record<string, string>;
	/** How this app spells the three security modes in `{{smtp.security}}` (default: the mode names themselves). */
	securityValues?: Record<SmtpSecurity, string>;
}

/**
 * How an app moves between versions. `stepwise: 'major'`: one major version at a time (the
 * app refuses to skip one); `path` lists the releases to go through, oldest first, each with
 * the image of every service it changes; the manifest's own `version` and images are the last
 * step. The server takes one step per release, with a backup first.
 */
export interface Upgrades {
	stepwise: 'major' | 'none';
	path?: { version: string; images: Record<string, string> }[];
	/** What upstream says about upgrading, in plain words, with where it says so. */
	notes: string;
}

/** A compose service as the catalog allows it: an allowlisted subset of the Compose spec. */
export interface CatalogService {
	image: string;
	command?: string[];
	entrypoint?: string[];
	environment?: Record<string, string>;
	/** Short syntax only: `{{data}}/<dir>:<container path>[:ro]`. */
	volumes?: string[];
	depends_on?: Record<string, { condition: 'service_started' | 'service_healthy' | 'service_completed_successfully' }>;
	healthcheck?: {
		test: string[];
		interval?: string;
		timeout?: string;
		retries?: number;
		start_period?: string;
	};
	user?: string;
	working_dir?: string;
	tmpfs?: string[];
	shm_size?: string;
	stop_grace_period?: string;
	read_only?: boolean;
}

export interface AppManifest {
	manifestVersion: 1;
	/** Lower-case id, also the directory name and the prefix of every service name. */
	id: string;
	name: string;
	/** One line: what it is. */
	tagline: string;
	/** A few sentences: what it does, for whom. */
	description: string;
	category: Category;
	/** File name of the icon beside the manifest (SVG). */
	icon: string;
	website: string;
	source: string;
	/** SPDX identifier. */
	license: string;
	/** The upstream version the images are pinned to. */
	version: string;
	architectures: Architecture[];
	entrypoints: Entrypoint[];
	health: HealthCheck;
	resources: AppResources;
	secrets: SecretSpec[];
	inputs: InputSpec[];
	backup: BackupSpec;
	/** What to do after the first start: where to sign in, which account is the admin. */
	firstLogin: string;
	/** How the app is safe before the person has signed in for the first time. */
	firstStart: FirstStart;
	/** Data folders created before the app starts, owned as the app's image needs. */
	folders?: DataFolder[];
	/** How the app moves between versions, when it cannot skip any (Nextcloud). */
	upgrades?: Upgrades;
	smtp?: SmtpSpec;
	/** Compose services, keyed by name; every name is the app id or starts with `<id>-`. */
	services: Record<string, CatalogService>;
}

/**
 * A folder under the app's data directory (`{{data}}/<path>`) that the server creates, or
 * fixes, before every start: on a first deploy, after a restore and after a move. Docker
 * would otherwise create a missing bind-mount folder owned by root, which an image running
 * as another user cannot write to.
 */
export interface DataFolder {
	/** Relative to the app's data directory, as in its volumes (`files` for `{{data}}/files`). */
	path: string;
	/** Numeric `uid:gid` the image runs as. */
	owner: string;
	/** Octal permissions of the folder itself (default 0750). */
	mode?: string;
	/** Where upstream says which user the image runs as. */
	source: string;
}

/** A catalog app as shipped to the browser: the manifest plus its icon. */
export interface CatalogApp extends AppManifest {
	/** The icon as an SVG document (checked at build time). */
	iconSvg: string;
}

/** The values a render fills the placeholders with. */
export interface ResolveContext {
	secrets: Record<string, string>;
	inputs: Record<string, string>;
	/** Host name per entrypoint id. */
	hosts: Record<string, string>;
	/** Absolute path of the app's data directory on the server. */
	dataDir: string;
	timezone: string;
	smtp?: SmtpSettings;
}

export interface SmtpSettings {
	host: string;
	port: number;
	username: string;
	password: string;
	from: string;
	security: SmtpSecurity;
}

export type SmtpSecurity = 'starttls' | 'tls' | 'none';
