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
	startPeriod?: string;
}

export interface ServerService {
	/** Service name inside the app (`web`, `db`); the compose service is `<app>-<name>`. */
	name: string;
	image: string;
	command?: string[];
	/** Non-secret environment, written into docker-compose.yml. */
	environment: Record<string, string>;
	/** Environment holding secrets, written only into the app's age-encrypted env file. */
	secretEnvironment: Record<string, string>;
	/** Named data directories, kept under /var/lib/nassella/data/<app>/<name>. */
	volumes: { name: string; target: string; readOnly?: boolean }[];
	healthcheck?: ServerHealthcheck;
	dependsOn?: string[];
	/** Databases get a longer stop grace period. */
	database?: boolean;
	user?: string;
}

export interface ServerHook {
	/** Service (inside the app) the command runs in, with `docker compose exec -T`. */
	service: string;
	command: string[];
	/** File under /var/lib/nassella/dumps/<app>/ receiving stdout (backup) or given as stdin (restore). */
	file: string;
}

export interface ServerApp {
	id: string;
	name: string;
	/** The service Caddy proxies to, on which port, under which host name. */
	web?: { service: string; port: number; host: string };
	services: ServerService[];
	backupHooks: ServerHook[];
	restoreHooks: ServerHook[];
}

export class RenderError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'RenderError';
	}
}

export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,30}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const VOLUME_NAME = /^[a-z][a-z0-9_-]{0,30}$/;
export const DUMP_FILE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Registry/name[:tag][@sha256:digest], the characters image references may contain. */
export const IMAGE_REF = /^[a-z0-9][a-z0-9._/:-]{0,200}(@sha256:[0-9a-f]{64})?$/;
export const DURATION = /^[0-9]{1,5}(ms|s|m|h)$/;
