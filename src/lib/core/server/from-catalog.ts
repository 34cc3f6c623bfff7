/**
 * Turns catalog manifests plus a deployment into ServerApps: placeholders are resolved
 * with the catalog's own resolver, and every environment value that carries a secret
 * (a generated secret, a password input, the SMTP password) is moved to the service's
 * encrypted env file. A secret anywhere else (a command, a health check) is refused, so
 * no secret can reach docker-compose.yml in plain text.
 */
import { usesLighter } from '../catalog/fit.ts';
import {
	SETUP_COOKIE,
	SETUP_PASSWORD_BCRYPT,
	SETUP_USER,
	effectiveInputs,
	gateUp,
	inputSpecs
} from '../catalog/first-start.ts';
import { checkInputs } from '../catalog/inputs.ts';
import { missingDerived } from '../catalog/secrets.ts';
import { parsePlaceholders, resolveString } from '../catalog/placeholders.ts';
import type { AppManifest, CatalogService, ResolveContext } from '../catalog/types.ts';
import type { Deployment } from '../model/config.ts';
import { RenderError, secretRef, type ServerApp, type ServerService } from './app.ts';
import { DATA_DIR } from './paths.ts';

function secretPlaceholders(manifest: AppManifest): (value: string) => boolean {
	const passwordInputs = new Set(manifest.inputs.filter((i) => i.type === 'password').map((i) => i.id));
	return (value: string) =>
		parsePlaceholders(value, manifest.id).some(
			(p) =>
				p.kind === 'secret' ||
				(p.kind === 'smtp' && p.name === 'password') ||
				(p.kind === 'input' && passwordInputs.has(p.name))
		);
}

export function appHosts(manifest: AppManifest, deployment: Deployment): Record<string, string> {
	const selection = deployment.config.apps.find((a) => a.id === manifest.id);
	const hosts: Record<string, string> = {};
	for (const ep of manifest.entrypoints)
		hosts[ep.id] = selection?.hosts?.[ep.id] ?? `${ep.subdomain}.${deployment.config.domain}`;
	return hosts;
}

export function toServerApp(manifest: AppManifest, deployment: Deployment): ServerApp {
	const { config, secrets } = deployment;
	const selection = config.apps.find((a) => a.id === manifest.id);
	if (!selection) throw new RenderError(`${manifest.id} is not selected.`);
	const appSecrets = secrets.apps[manifest.id] ?? {};
	const passwordInputs = manifest.inputs.filter((i) => i.type === 'password').map((i) => i.id);
	const inputs: Record<string, string> = { ...(selection.inputs ?? {}) };
	for (const id of passwordInputs) {
		if (inputs[id] !== undefined)
			throw new RenderError(
				`${manifest.name}: the password "${id}" belongs in the secrets, not in the plain settings.`
			);
		if (appSecrets[id] !== undefined) inputs[id] = appSecrets[id];
	}
	const specs = inputSpecs(manifest);
	const unknown = Object.keys(selection.inputs ?? {}).filter((k) => !specs.some((i) => i.id === k));
	if (unknown.length) throw new RenderError(`${manifest.name}: there is no setting called ${unknown.join(', ')}.`);
	const problems = checkInputs({ inputs: specs }, inputs);
	const ids = Object.keys(problems);
	if (ids.length) throw new RenderError(`${manifest.name}: ${ids.map((k) => problems[k]).join(' ')}`);
	const missing = missingDerived(manifest, appSecrets);
	if (missing.length)
		throw new RenderError(
			`${manifest.name}: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not made yet; nassella makes ${missing.length === 1 ? 'it' : 'them'} in the browser before it saves the settings.`
		);
	// The setup gate: Caddy asks for the setup password until the person says setup is done.
	const gated = gateUp(manifest, inputs, appSecrets);
	const gate = gated ? setupGate(manifest, appSecrets) : undefined;
	// While the gate is up, `whileGated` values apply (sign-ups open for the person only).
	const values = effectiveInputs(manifest, inputs, appSecrets);

	const ctx: ResolveContext = {
		secrets: appSecrets,
		inputs: values,
		hosts: appHosts(manifest, deployment),
		dataDir: `${DATA_DIR}/${manifest.id}`,
		timezone: config.rebootWindow.timezone,
		...(config.smtp && secrets.smtpPassword !== undefined
			? { smtp: { ...config.smtp, password: secrets.smtpPassword } }
			: {})
	};
	const isSecret = secretPlaceholders(manifest);
	const composeSecrets: Record<string, string> = {};
	const variable = (id: string) => `NASSELLA_${manifest.id}_${id}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
	// Outside environment values a generated secret becomes a Compose variable reference;
	// a password input or the SMTP password there is refused (no catalog app needs it).
	const plain = (value: string, where: string): string => {
		const list = parsePlaceholders(value, manifest.id);
		if (isSecret(value.replace(/\{\{secret\.[a-z0-9_]+\}\}/g, '')))
			throw new RenderError(
				`${manifest.name}: ${where} uses a password input; those may only be used in environment values.`
			);
		if (!list.some((p) => p.kind === 'secret')) return resolveString(value, manifest, ctx, { escapeDollar: false });
		return resolveString(value, manifest, ctx, {
			escapeDollar: false,
			renderSecret: (id, v) => {
				composeSecrets[variable(id)] = v;
				return secretRef(variable(id));
			}
		});
	};
	const plainList = (list: string[] | undefined, where: string) => list?.map((v) => plain(v, where));
	const dumpServices = new Set(manifest.backup.dumps.map((d) => d.service));

	// The lighter variant (e.g. Immich without machine learning) leaves some services out.
	const lighter = manifest.resources.lighter;
	const omitted = new Set(lighter && usesLighter(manifest, values) ? lighter.omitServices : []);
	const services: ServerService[] = Object.entries(manifest.services)
		.filter(([name]) => !omitted.has(name))
		.sort(([a], [b]) => (a < b ? -1 : 1))
		.map(([name, svc]: [string, CatalogService]) => {
			const env: Record<string, string> = { ...(svc.environment ?? {}) };
			if (ctx.smtp && manifest.smtp?.service === name) Object.assign(env, manifest.smtp.environment);
			const environment: Record<string, string> = {};
			const secretEnvironment: Record<string, string> = {};
			for (const [k, v] of Object.entries(env)) {
				const resolved = resolveString(v, manifest, ctx, { escapeDollar: false });
				if (isSecret(v)) secretEnvironment[k] = resolved;
				else environment[k] = resolved;
			}
			const out: ServerService = {
				name,
				image: plain(svc.image, `the image of ${name}`),
				environment,
				secretEnvironment,
				volumes: plainList(svc.volumes, `a volume of ${name}`) ?? []
			};
			const command = plainList(svc.command, `the command of ${name}`);
			if (command) out.command = command;
			const entrypoint = plainList(svc.entrypoint, `the entrypoint of ${name}`);
			if (entrypoint) out.entrypoint = entrypoint;
			if (svc.healthcheck)
				out.healthcheck = {
					...svc.healthcheck,
					test: svc.healthcheck.test.map((t) => plain(t, `the health check of ${name}`))
				};
			if (svc.depends_on) out.depends_on = svc.depends_on;
			if (svc.user !== undefined) out.user = plain(svc.user, `the user of ${name}`);
			if (svc.working_dir !== undefined) out.working_dir = plain(svc.working_dir, `working_dir of ${name}`);
			const tmpfs = plainList(svc.tmpfs, `tmpfs of ${name}`);
			if (tmpfs) out.tmpfs = tmpfs;
			if (svc.shm_size !== undefined) out.shm_size = svc.shm_size;
			if (svc.stop_grace_period !== undefined) out.stop_grace_period = svc.stop_grace_period;
			if (svc.read_only !== undefined) out.read_only = svc.read_only;
			if (dumpServices.has(name)) out.database = true;
			const limit = manifest.resources.memoryLimitsMiB?.[name];
			if (limit !== undefined) out.memoryLimitMiB = limit;
			return out;
		});

	const hook = (c: { service: string; command: string[]; file: string }) => ({
		service: c.service,
		file: c.file,
		command: c.command.map((part) => {
			if (isSecret(part))
				throw new RenderError(
					`${manifest.name}: a backup command uses a secret; it would be written in plain text. Use the container's own environment ($VAR) instead.`
				);
			return resolveString(part, manifest, ctx, { escapeDollar: false });
		})
	});
	const healthEp = manifest.entrypoints.find((e) => e.id === manifest.health.entrypoint);
	return {
		id: manifest.id,
		name: manifest.name,
		entrypoints: manifest.entrypoints.map((ep) => ({
			id: ep.id,
			service: ep.service,
			port: ep.port,
			host: ctx.hosts[ep.id]!,
			path: ep.path ?? '/'
		})),
		...(healthEp
			? {
					probe: {
						service: healthEp.service,
						port: healthEp.port,
						path: manifest.health.path,
						status: manifest.health.status ?? [200],
						host: ctx.hosts[healthEp.id]!
					}
				}
			: {}),
		startPeriodSeconds: Math.max(0, Math.min(3600, Math.trunc(manifest.health.startPeriodSeconds ?? 0))),
		services,
		backupHooks: manifest.backup.dumps.map(hook),
		restoreHooks: manifest.backup.restore.map(hook),
		backupExclude: manifest.backup.exclude,
		stopDuringBackup: manifest.backup.stopDuringBackup === true,
		...(manifest.upgrades?.stepwise === 'major' && (manifest.upgrades.path ?? []).length > 0
			? {
					upgradePath: [
						...(manifest.upgrades.path ?? []).map((st) => ({ version: st.version, images: { ...st.images } })),
						{
							version: manifest.version,
							images: Object.fromEntries(
								services
									.filter((x) => (manifest.upgrades?.path ?? []).some((st) => x.name in st.images))
									.map((x) => [x.name, x.image])
							)
						}
					]
				}
			: {}),
		folders: (manifest.folders ?? []).map((f) => {
			const [uid, gid] = f.owner.split(':').map(Number) as [number, number];
			return { path: f.path, uid, gid, mode: (f.mode ?? '0750').padStart(4, '0') };
		}),
		composeSecrets,
		...(gate ? { gate } : {})
	};
}

/** The setup gate's values for Caddy; the hash and the cookie value reach it only through the encrypted caddy.env. */
function setupGate(manifest: AppManifest, secrets: Record<string, string>): NonNullable<ServerApp['gate']> {
	const hash = secrets[SETUP_PASSWORD_BCRYPT];
	const token = secrets[SETUP_COOKIE];
	if (!hash || !/^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/.test(hash))
		throw new RenderError(`${manifest.name}: the setup password has no bcrypt hash yet.`);
	if (!token || !/^[A-Za-z0-9]{16,128}$/.test(token))
		throw new RenderError(`${manifest.name}: the setup gate has no cookie value yet.`);
	const name = manifest.id.toUpperCase().replace(/[^A-Z0-9]/g, '_');
	return {
		user: SETUP_USER,
		cookie: `nassella_setup_${manifest.id.replace(/[^a-z0-9]/g, '_')}`,
		hashVariable: `NASSELLA_GATE_${name}_HASH`,
		tokenVariable: `NASSELLA_GATE_${name}_TOKEN`,
		hash,
		token
	};
}

/** The selected apps, in the order the person chose them; an unknown id is a clear error. */
export function selectApps(catalog: readonly AppManifest[], deployment: Deployment): ServerApp[] {
	return deployment.config.apps.map((sel) => {
		const manifest = catalog.find((m) => m.id === sel.id);
		if (!manifest) throw new RenderError(`"${sel.id}" is not in the app catalog.`);
		const arch = deployment.config.architecture ?? 'amd64';
		if (!manifest.architectures.includes(arch))
			throw new RenderError(
				`${manifest.name} does not run on ${arch} servers; choose an ${manifest.architectures.join(' or ')} server.`
			);
		return toServerApp(manifest, deployment);
	});
}
