/**
 * docker-compose.yml, built as a data structure and serialised (never a string template).
 * Compose interpolates `$VAR` in every value, so each string taken from the catalog or
 * the person has `$` doubled; secrets never appear here (they go to encrypted env files).
 */
import { stringify } from 'yaml';
import {
	DURATION,
	ENV_NAME,
	IMAGE_REF,
	RenderError,
	SERVICE_NAME,
	VOLUME_NAME,
	type ServerApp,
	type ServerService
} from './app.ts';
import { CADDY_DIR, DATA_DIR, DUMPS_DIR, ENV_RUN_DIR, GATEWAY_DIR, STATUS_DIR, COMPOSE_PROJECT } from './paths.ts';

export const CADDY_IMAGE = 'caddy:2.10';

/** Compose's interpolation escape: `$` becomes `$$`. */
export function composeEscape(value: string): string {
	return value.replace(/\$/g, '$$$$');
}

/** Compose's own reading of an escaped value, for round-trip tests. */
export function composeUnescape(value: string): string {
	return value.replace(/\$\$/g, '$');
}

export function composeServiceName(app: string, service: string): string {
	return `${app}-${service}`;
}

export function envFileName(app: string, service: string): string {
	return `${app}-${service}.env`;
}

function checkText(value: string, what: string): string {
	if (value.includes('\u0000')) throw new RenderError(`${what} contains a NUL character, which no file can carry.`);
	if (value.length > 65536) throw new RenderError(`${what} is longer than 64 KiB.`);
	return value;
}

function service(app: ServerApp, s: ServerService): Record<string, unknown> {
	const where = `App ${app.id}, service ${s.name}`;
	if (!SERVICE_NAME.test(s.name)) throw new RenderError(`${where}: the service name is not a plain lowercase word.`);
	if (!IMAGE_REF.test(s.image)) throw new RenderError(`${where}: "${s.image.slice(0, 60)}" is not an image reference.`);
	const out: Record<string, unknown> = {
		image: s.image,
		restart: 'unless-stopped',
		networks: [app.id]
	};
	if (s.command) out.command = s.command.map((a) => composeEscape(checkText(a, `${where}: a command argument`)));
	const env = Object.entries(s.environment).sort(([a], [b]) => (a < b ? -1 : 1));
	for (const [k] of env)
		if (!ENV_NAME.test(k)) throw new RenderError(`${where}: "${k.slice(0, 60)}" is not an environment variable name.`);
	if (env.length > 0)
		out.environment = Object.fromEntries(env.map(([k, v]) => [k, composeEscape(checkText(v, `${where}: ${k}`))]));
	if (Object.keys(s.secretEnvironment).length > 0) out.env_file = [`${ENV_RUN_DIR}/${envFileName(app.id, s.name)}`];
	if (s.volumes.length > 0)
		out.volumes = s.volumes.map((v) => {
			if (!VOLUME_NAME.test(v.name)) throw new RenderError(`${where}: "${v.name}" is not a volume name.`);
			if (!/^\/[A-Za-z0-9._/-]{0,200}$/.test(v.target) || v.target.includes('..'))
				throw new RenderError(`${where}: "${v.target.slice(0, 60)}" is not a container path.`);
			return `${DATA_DIR}/${app.id}/${v.name}:${v.target}${v.readOnly ? ':ro' : ''}`;
		});
	if (s.healthcheck) {
		const h = s.healthcheck;
		if (h.test.length === 0 || !['CMD', 'CMD-SHELL', 'NONE'].includes(h.test[0]!))
			throw new RenderError(`${where}: a health check starts with CMD, CMD-SHELL or NONE.`);
		const hc: Record<string, unknown> = { test: h.test.map((a) => composeEscape(checkText(a, `${where}: health check`))) };
		for (const [key, val] of [
			['interval', h.interval],
			['timeout', h.timeout],
			['start_period', h.startPeriod]
		] as const) {
			if (val === undefined) continue;
			if (!DURATION.test(val)) throw new RenderError(`${where}: "${val}" is not a duration such as 30s.`);
			hc[key] = val;
		}
		if (h.retries !== undefined) hc.retries = h.retries;
		out.healthcheck = hc;
	}
	if (s.dependsOn?.length) {
		const names = new Set(app.services.map((x) => x.name));
		out.depends_on = Object.fromEntries(
			s.dependsOn.map((d) => {
				if (!names.has(d)) throw new RenderError(`${where}: depends on "${d}", which the app does not have.`);
				const target = app.services.find((x) => x.name === d);
				return [
					composeServiceName(app.id, d),
					{ condition: target?.healthcheck ? 'service_healthy' : 'service_started' }
				];
			})
		);
	}
	if (s.database) out.stop_grace_period = '1m';
	if (s.user !== undefined) {
		if (!/^[0-9]{1,6}(:[0-9]{1,6})?$|^[a-z_][a-z0-9_-]{0,31}$/.test(s.user))
			throw new RenderError(`${where}: "${s.user.slice(0, 40)}" is not a user.`);
		out.user = s.user;
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
		if (app.web) webNetworks.push(app.id);
		for (const s of app.services) {
			const name = composeServiceName(app.id, s.name);
			if (services[name]) throw new RenderError(`Two services are both called ${name}.`);
			services[name] = service(app, s);
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
		`# Data lives under ${DATA_DIR} and database dumps under ${DUMPS_DIR}.\n` +
		stringify(composeDocument(apps), { lineWidth: 0, aliasDuplicateObjects: false })
	);
}
