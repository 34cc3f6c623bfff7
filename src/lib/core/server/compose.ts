/**
 * docker-compose.yml, built as a data structure and serialised (never a string template).
 * Compose interpolates `$VAR` in every value, so each string taken from the catalog or
 * the person has `$` doubled; secrets never appear here (they go to encrypted env files).
 */
import { toYaml } from './yaml.ts';
import {
	DATA_RELATIVE,
	DURATION,
	ENV_NAME,
	IMAGE_REF,
	RenderError,
	SECRET_REF,
	SERVICE_NAME,
	stepVariable,
	type ServerApp,
	type ServerService
} from './app.ts';
import { CADDY_DIR, DATA_DIR, ENV_RUN_DIR, GATEWAY_DIR, STATUS_DIR, COMPOSE_PROJECT } from './paths.ts';

export const CADDY_IMAGE = 'caddy:2.10';

/**
 * Compose's interpolation escape: `$` becomes `$$`; then secret references (SECRET_REF
 * markers) become `${VARIABLE}`, the only interpolation the generator ever writes.
 */
export function composeEscape(value: string): string {
	return value.replace(/\$/g, '$$$$').replace(SECRET_REF, (_, name: string) => `\${${name}}`);
}

/** Compose's own reading of an escaped value, for round-trip tests. */
export function composeUnescape(value: string): string {
	return value.replace(/\$\$/g, '$');
}

/** The env file the Caddy service reads the setup gates from. */
export const CADDY_ENV = 'caddy.env';

export function envFileName(service: string): string {
	return `${service}.env`;
}

function checkText(value: string, what: string): string {
	if (value.includes('\u0000')) throw new RenderError(`${what} contains a NUL character, which no file can carry.`);
	if (value.replace(SECRET_REF, '').includes('\u0001')) throw new RenderError(`${what} contains a control character.`);
	if (value.length > 65536) throw new RenderError(`${what} is longer than 64 KiB.`);
	return value;
}

const strings = (list: readonly string[], what: string) => list.map((a) => composeEscape(checkText(a, what)));

function service(app: ServerApp, s: ServerService): Record<string, unknown> {
	const where = `App ${app.id}, service ${s.name}`;
	if (!SERVICE_NAME.test(s.name) || !(s.name === app.id || s.name.startsWith(`${app.id}-`)))
		throw new RenderError(`${where}: the service name must be the app id or start with "${app.id}-".`);
	if (!IMAGE_REF.test(s.image)) throw new RenderError(`${where}: "${s.image.slice(0, 60)}" is not an image reference.`);
	// A service an upgrade path names takes its image from the step the server chooses (compose.env
	// on the server), this release's image when the server names none.
	const stepped = app.upgradePath?.some((st) => s.name in st.images);
	const out: Record<string, unknown> = {
		image: stepped ? `\${${stepVariable(app.id, s.name)}:-${s.image}}` : s.image,
		restart: 'unless-stopped'
	};
	if (s.command) out.command = strings(s.command, `${where}: a command argument`);
	if (s.entrypoint) out.entrypoint = strings(s.entrypoint, `${where}: an entrypoint argument`);
	const env = Object.entries(s.environment).sort(([a], [b]) => (a < b ? -1 : 1));
	for (const [k] of [...env, ...Object.entries(s.secretEnvironment)])
		if (!ENV_NAME.test(k)) throw new RenderError(`${where}: "${k.slice(0, 60)}" is not an environment variable name.`);
	if (env.length > 0)
		out.environment = Object.fromEntries(
			env.map(([k, v]) => {
				if (v.includes('\u0001')) throw new RenderError(`${where}: ${k} contains a control character.`);
				return [k, composeEscape(checkText(v, `${where}: ${k}`))];
			})
		);
	if (Object.keys(s.secretEnvironment).length > 0) out.env_file = [`${ENV_RUN_DIR}/${envFileName(s.name)}`];
	out.networks = [app.id];
	if (s.volumes.length > 0)
		out.volumes = s.volumes.map((v) => {
			const m = /^([^:]+):(\/[A-Za-z0-9._/-]{0,200})(:ro)?$/.exec(v);
			const base = `${DATA_DIR}/${app.id}/`;
			if (!m || !m[1]!.startsWith(base) || !DATA_RELATIVE.test(m[1]!.slice(base.length)) || m[2]!.includes('..'))
				throw new RenderError(`${where}: "${v.slice(0, 80)}" must mount a folder of the app's own data directory.`);
			return v;
		});
	if (s.healthcheck) {
		const h = s.healthcheck;
		if (h.test.length === 0 || !['CMD', 'CMD-SHELL', 'NONE'].includes(h.test[0]!))
			throw new RenderError(`${where}: a health check starts with CMD, CMD-SHELL or NONE.`);
		const hc: Record<string, unknown> = { test: strings(h.test, `${where}: health check`) };
		for (const key of ['interval', 'timeout', 'start_period'] as const) {
			const val = h[key];
			if (val === undefined) continue;
			if (!DURATION.test(val)) throw new RenderError(`${where}: "${val.slice(0, 20)}" is not a duration such as 30s.`);
			hc[key] = val;
		}
		if (h.retries !== undefined) hc.retries = h.retries;
		out.healthcheck = hc;
	}
	if (s.depends_on && Object.keys(s.depends_on).length > 0) {
		const names = new Set(app.services.map((x) => x.name));
		for (const d of Object.keys(s.depends_on))
			if (!names.has(d))
				throw new RenderError(`${where}: depends on "${d.slice(0, 40)}", which the app does not have.`);
		out.depends_on = s.depends_on;
	}
	if (s.user !== undefined) {
		if (!/^[0-9]{1,6}(:[0-9]{1,6})?$|^[a-z_][a-z0-9_-]{0,31}(:[a-z_][a-z0-9_-]{0,31})?$/.test(s.user))
			throw new RenderError(`${where}: "${s.user.slice(0, 40)}" is not a user.`);
		out.user = s.user;
	}
	if (s.working_dir !== undefined) {
		if (!/^\/[A-Za-z0-9._/-]{0,200}$/.test(s.working_dir)) throw new RenderError(`${where}: bad working_dir.`);
		out.working_dir = s.working_dir;
	}
	if (s.tmpfs?.length) out.tmpfs = strings(s.tmpfs, `${where}: tmpfs`);
	if (s.shm_size !== undefined) {
		if (!/^[0-9]{1,6}[kmg]?b?$/i.test(s.shm_size)) throw new RenderError(`${where}: bad shm_size.`);
		out.shm_size = s.shm_size;
	}
	const grace = s.stop_grace_period ?? (s.database ? '1m' : undefined);
	if (grace !== undefined) {
		if (!DURATION.test(grace)) throw new RenderError(`${where}: bad stop_grace_period.`);
		out.stop_grace_period = grace;
	}
	if (s.read_only !== undefined) out.read_only = s.read_only;
	if (s.memoryLimitMiB !== undefined) {
		if (!Number.isInteger(s.memoryLimitMiB) || s.memoryLimitMiB < 6 || s.memoryLimitMiB > 1048576)
			throw new RenderError(`${where}: the memory limit must be a whole number of MiB.`);
		// Compose v2 applies deploy.resources.limits without swarm (docker run --memory).
		out.deploy = { resources: { limits: { memory: `${s.memoryLimitMiB}M` } } };
	}
	return out;
}

/** The compose document as data (exported for tests). */
export function composeDocument(apps: readonly ServerApp[]): Record<string, unknown> {
	const services: Record<string, unknown> = {};
	const networks: Record<string, unknown> = {};
	const webNetworks: string[] = [];
	for (const app of apps) {
		networks[app.id] = { name: `${COMPOSE_PROJECT}-${app.id}` };
		if (app.entrypoints.length > 0 || app.probe) webNetworks.push(app.id);
		for (const s of app.services) {
			if (services[s.name]) throw new RenderError(`Two services are both called ${s.name}.`);
			services[s.name] = service(app, s);
		}
	}
	if (services.caddy) throw new RenderError('An app may not have a service called "caddy".');
	services.caddy = {
		image: CADDY_IMAGE,
		restart: 'unless-stopped',
		ports: ['80:80', '443:443', '443:443/udp'],
		volumes: [
			'./Caddyfile:/etc/caddy/Caddyfile:ro',
			`${CADDY_DIR}/data:/data`,
			`${CADDY_DIR}/config:/config`,
			`${STATUS_DIR}:/srv/nassella-status:ro`,
			`${GATEWAY_DIR}:${GATEWAY_DIR}`
		],
		networks: ['edge', ...webNetworks],
		// The admin password's hash and the setup gates' hashes and cookie values (read by the
		// Caddyfile as {$VARIABLE}).
		env_file: [`${ENV_RUN_DIR}/${CADDY_ENV}`],
		healthcheck: {
			test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:2019/config/'],
			interval: '30s',
			timeout: '5s',
			retries: 3
		}
	};
	networks.edge = { name: `${COMPOSE_PROJECT}-edge` };
	const sorted = (o: Record<string, unknown>) =>
		Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
	return { name: COMPOSE_PROJECT, services: sorted(services), networks: sorted(networks) };
}

export function renderCompose(apps: readonly ServerApp[]): string {
	return (
		'# Generated by nassella. Changes are replaced on the next update.\n' +
		`# Each app keeps its data under ${DATA_DIR}/<app>.\n` +
		toYaml(composeDocument(apps))
	);
}
