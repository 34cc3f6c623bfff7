/**
 * What the server generator needs to know about one selected app, after the catalog's
 * placeholders are resolved for this deployment (see from-catalog.ts). Values here are
 * final: the generator escapes them for each file format, never interprets them.
 */
export interface ServerHealthcheck {
	test: string[];
	interval?: string;
	timeout?: string;
	retries?: number;
	start_period?: string;
}

export interface ServerService {
	/** Compose service name: the app id or `<app id>-<role>` (catalog rule). */
	name: string;
	image: string;
	command?: string[];
	entrypoint?: string[];
	/** Non-secret environment, written into docker-compose.yml. */
	environment: Record<string, string>;
	/** Environment holding secrets, written only into the service's age-encrypted env file. */
	secretEnvironment: Record<string, string>;
	/** Short-syntax bind mounts, every source under /var/lib/nassella/data/<app>/. */
	volumes: string[];
	healthcheck?: ServerHealthcheck;
	depends_on?: Record<string, { condition: string }>;
	user?: string;
	working_dir?: string;
	tmpfs?: string[];
	shm_size?: string;
	stop_grace_period?: string;
	read_only?: boolean;
	/** Databases get a longer stop grace period when none is given. */
	database?: boolean;
	/** Memory limit in MiB (the catalog's `resources.memoryLimitsMiB`): the container is stopped and restarted above it. */
	memoryLimitMiB?: number;
}

export interface ServerHook {
	/** Service the command runs in, with `docker compose exec -T`. */
	service: string;
	command: string[];
	/** Path relative to the app's data directory: receives stdout (backup) or is given as stdin (restore). */
	file: string;
}

export interface ServerEntrypoint {
	id: string;
	service: string;
	port: number;
	host: string;
	/** Path prefix; `/` for the whole host. */
	path: string;
}

export interface ServerApp {
	id: string;
	name: string;
	entrypoints: ServerEntrypoint[];
	/**
	 * HTTP probe made from the Caddy container: `http://<service>:<port><path>`, sent as Caddy
	 * sends the real request (the app's host name, `X-Forwarded-Proto: https`).
	 */
	probe?: { service: string; port: number; path: string; status: number[]; host: string };
	/** Seconds the app may take to come up after a start (catalog `health.startPeriodSeconds`), before the server's own grace. */
	startPeriodSeconds: number;
	services: ServerService[];
	backupHooks: ServerHook[];
	restoreHooks: ServerHook[];
	/** Paths relative to the app's data directory left out of backups. */
	backupExclude: string[];
	/** Stop the app while the snapshot is taken. */
	stopDuringBackup: boolean;
	/**
	 * For an app that upgrades one major version at a time (catalog `upgrades`): the releases to
	 * go through, oldest first, each with the image of every service it changes, then `version`
	 * (the manifest's) with the services' own images. The server runs one step per release.
	 */
	upgradePath?: { version: string; images: Record<string, string> }[];
	/** Data folders (relative to the app's data directory) the server creates with this owner and mode before a start. */
	folders: { path: string; uid: number; gid: number; mode: string }[];
	/** Compose variables for secrets used outside environment values (see SECRET_REF). */
	composeSecrets: Record<string, string>;
	/**
	 * The setup gate while it is up (catalog `firstStart.kind: setup-gate`): Caddy asks for
	 * `user` and the setup password (bcrypt `hash`) at /nassella-setup/open, then sets a cookie
	 * named `cookie` with the value `token`. Hash and token reach Caddy only through the
	 * encrypted caddy.env, as the variables named here.
	 */
	gate?: {
		user: string;
		cookie: string;
		hashVariable: string;
		tokenVariable: string;
		hash: string;
		token: string;
	};
}

/**
 * A secret used outside `environment` (a command, an entrypoint) is written into
 * docker-compose.yml as a Compose variable, `${NASSELLA_<APP>_<SECRET>}`, whose value
 * Compose reads from the encrypted env/compose.env at run time. Until the compose file
 * is serialised the reference is carried as this marker (control characters cannot come
 * from inputs or the catalog, which both refuse them).
 */
export const SECRET_REF_MARK = '\u0001';
// eslint-disable-next-line no-control-regex
export const SECRET_REF = /\u0001([A-Z][A-Z0-9_]{0,127})\u0001/g;
export function secretRef(variable: string): string {
	return `${SECRET_REF_MARK}${variable}${SECRET_REF_MARK}`;
}

export class RenderError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'RenderError';
	}
}

export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A path relative to an app's data directory. */
export const DATA_RELATIVE = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]{1,64}(\/[A-Za-z0-9._-]{1,64}){0,7}$/;
export const IMAGE_REF = /^[a-z0-9][A-Za-z0-9._/:@-]{0,250}$/;
export const DURATION = /^([0-9]{1,5}(ms|s|m|h))+$/;

/** The Compose variable that picks the image of service `service` of `app` for an upgrade step. */
export function stepVariable(app: string, service: string): string {
	return `NASSELLA_STEP_${`${app}_${service}`.toUpperCase().replace(/-/g, '_')}`;
}
