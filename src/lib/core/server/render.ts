/**
 * The server generator: (deployment, catalog, encrypt) → the bundle's file tree and the
 * Ignition config. Pure and deterministic for a given `encrypt`; the only secret-bearing
 * outputs are the env files (ciphertext from `encrypt`) and the Ignition config (which
 * is handed to the cloud provider, never committed).
 */
import type { AppManifest } from '../catalog/types.ts';
import { REQUEST_ID, validateDeployment, type Deployment, type ServerRequests } from '../model/config.ts';
import { IMAGE_REF, RenderError, type ServerApp } from './app.ts';
import { ADMIN_HASH_VARIABLE, renderCaddyfile, type CaddyOptions } from './caddyfile.ts';
import { CADDY_ENV, envFileName, renderCompose } from './compose.ts';
import { renderComposeEnv, renderDockerEnv } from './envfile.ts';
import { selectApps } from './from-catalog.ts';
import { renderPostRestore, renderPreBackup } from './hooks.ts';
import { renderIgnition, renderUpdateConf } from './ignition.ts';
import { MANIFEST_PATH, renderManifest, type BundleFile } from './manifest.ts';
import { SCRIPTS } from './scripts.gen.ts';
import { backupTime, drillTime } from './units.ts';

/** A data folder, relative to its app's data directory (as the catalog schema allows). */
const FOLDER = /^[a-z0-9][a-z0-9._-]{0,62}(\/[a-z0-9][a-z0-9._-]{0,62}){0,3}$/;
/** A host name as it may appear in a probe's Host header: lowercase labels, dots, hyphens (IDN in punycode). */
const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Encrypts text to an age recipient and returns the ASCII-armored file. */
export type Encrypt = (plaintext: string, recipient: string) => Promise<string>;

export const RESTIC_IMAGE = 'restic/restic:0.18.0';

export interface RenderOptions {
	encrypt: Encrypt;
	/** Test harness only (see CaddyOptions). */
	caddy?: Partial<CaddyOptions>;
}

export interface RenderResult {
	files: BundleFile[];
	ignition: string;
	apps: ServerApp[];
}

export function adminHostOf(d: Deployment): string {
	return d.config.adminHost ?? `nassella.${d.config.domain}`;
}

/** requests.json: fixed key order, one line, so the same requests give the same bytes. */
export function renderRequests(requests: ServerRequests): string {
	const out: ServerRequests = {};
	for (const key of ['backup', 'drill'] as const) {
		const id = requests[key];
		if (id === undefined) continue;
		if (!REQUEST_ID.test(id)) throw new RenderError(`The ${key} request id is not a plain id.`);
		out[key] = id;
	}
	return `${JSON.stringify(out)}\n`;
}

function lines(rows: string[]): string {
	return rows.map((r) => `${r}\n`).join('');
}

export async function renderServer(
	input: unknown,
	catalog: readonly AppManifest[],
	options: RenderOptions
): Promise<RenderResult> {
	const deployment = validateDeployment(input);
	const { config, secrets } = deployment;
	const apps = selectApps(catalog, deployment);

	const files: BundleFile[] = [];
	// The env files are encrypted all at once (age's key agreement is asynchronous, so they
	// overlap) and join the others, in path order, at the end.
	const sealed: Promise<BundleFile>[] = [];
	const seal = (path: string, text: string) => {
		const file = options.encrypt(text, config.ageRecipient).then((contents) => ({ path, contents }));
		// A render that fails before the end leaves no rejection unheard.
		file.catch(() => undefined);
		sealed.push(file);
	};
	files.push({ path: 'docker-compose.yml', contents: renderCompose(apps) });
	files.push({
		path: 'Caddyfile',
		contents: renderCaddyfile(apps, {
			adminHost: adminHostOf(deployment),
			appOrigin: config.appOrigin,
			admin: config.admin,
			...(config.acmeEmail ? { acmeEmail: config.acmeEmail } : {}),
			...options.caddy
		})
	});
	files.push({
		path: 'services.list',
		contents: lines([...apps.flatMap((a) => a.services.map((s) => `${a.id} ${s.name}`)), 'nassella caddy'])
	});
	files.push({
		path: 'probes.list',
		contents: lines(
			apps.flatMap((a) => {
				if (!a.probe) return [];
				if (!/^\/[A-Za-z0-9._~/?=&%-]{0,200}$/.test(a.probe.path))
					throw new RenderError(`App ${a.id}: the health path cannot be probed safely.`);
				if (!HOST.test(a.probe.host))
					throw new RenderError(`App ${a.id}: the health check's host name is not a plain name.`);
				const codes = a.probe.status.map((c) => String(Math.trunc(c))).join(',');
				return [`${a.id} http://${a.probe.service}:${a.probe.port}${a.probe.path} ${codes} ${a.probe.host}`];
			})
		)
	});
	// Data folders the server makes (or fixes) with their owner and mode before the apps start.
	files.push({
		path: 'folders.list',
		contents: lines(
			apps.flatMap((a) =>
				a.folders.map((f) => {
					if (!FOLDER.test(f.path) || f.path.split('/').includes('..'))
						throw new RenderError(`App ${a.id}: the data folder "${f.path}" is not a plain relative path.`);
					if (![f.uid, f.gid].every((n) => Number.isInteger(n) && n >= 0 && n <= 99999) || !/^0[0-7]{3}$/.test(f.mode))
						throw new RenderError(
							`App ${a.id}: the data folder "${f.path}" has an owner or mode that is not plain numbers.`
						);
					return `${a.id} ${f.path} ${f.uid} ${f.gid} ${f.mode}`;
				})
			)
		)
	});
	// Apps that upgrade one major version at a time: each step, oldest first, then this release's
	// version ("app version service=image..."); the server runs one step per release.
	files.push({
		path: 'upgrades.list',
		contents: lines(
			apps.flatMap((a) =>
				(a.upgradePath ?? []).map((st) => {
					const images = Object.entries(st.images).filter(([svc]) => a.services.some((x) => x.name === svc));
					if (!/^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$/.test(st.version) || images.some(([, img]) => !IMAGE_REF.test(img)))
						throw new RenderError(
							`App ${a.id}: the upgrade step "${st.version.slice(0, 30)}" is not a plain version and images.`
						);
					return [a.id, st.version, ...images.map(([svc, img]) => `${svc}=${img}`)].join(' ');
				})
			)
		)
	});
	// Each app's own start period: the server waits that long, plus its grace, before it counts the app as failed.
	files.push({
		path: 'health.list',
		contents: lines(apps.map((a) => `${a.id} ${a.startPeriodSeconds}`))
	});
	for (const app of apps)
		for (const s of app.services) {
			if (Object.keys(s.secretEnvironment).length === 0) continue;
			seal(`env/${envFileName(s.name)}.age`, renderComposeEnv(s.secretEnvironment, `App ${app.id}, service ${s.name}`));
		}
	// Caddy's secrets, kept out of git's plain text: the admin password's hash and the setup gates'.
	const gates = apps.flatMap((a) => (a.gate ? [a.gate] : []));
	seal(
		`env/${CADDY_ENV}.age`,
		renderComposeEnv(
			Object.fromEntries([
				[ADMIN_HASH_VARIABLE, config.admin.passwordHash],
				...gates.flatMap((g) => [
					[g.hashVariable, g.hash],
					[g.tokenVariable, g.token]
				])
			]),
			'The admin and setup password hashes'
		)
	);
	const composeSecrets = Object.assign({}, ...apps.map((a) => a.composeSecrets)) as Record<string, string>;
	if (Object.keys(composeSecrets).length > 0)
		seal('env/compose.env.age', renderComposeEnv(composeSecrets, 'Secrets used in commands'));
	// Sourced by restore.sh, backup.sh and drill.sh.
	files.push({ path: 'bin/common.sh', contents: SCRIPTS['common.sh']! });
	files.push({ path: 'bin/restore.sh', contents: SCRIPTS['restore.sh']!, executable: true });
	files.push({ path: 'bin/folders.sh', contents: SCRIPTS['folders.sh']!, executable: true });
	files.push({ path: 'bin/backup.sh', contents: SCRIPTS['backup.sh']!, executable: true });
	files.push({ path: 'bin/drill.sh', contents: SCRIPTS['drill.sh']!, executable: true });
	if (config.requests) files.push({ path: 'requests.json', contents: renderRequests(config.requests) });
	if (config.ntfyTopic)
		seal('env/notify.env.age', renderDockerEnv({ NTFY_TOPIC: config.ntfyTopic }, 'The notification settings'));
	files.push({ path: 'hooks/pre-backup.sh', contents: renderPreBackup(apps), executable: true });
	files.push({ path: 'hooks/post-restore.sh', contents: renderPostRestore(apps), executable: true });
	// The reboot window and what follows it (the time zone, the backup and drill times), put in
	// place by nassella-sync after each applied commit (apply_window), so a change made in the
	// dashboard reaches the running server.
	files.push({ path: 'update.conf', contents: renderUpdateConf(config.rebootWindow) });
	files.push({
		path: 'window.conf',
		contents: lines([
			`TIMEZONE=${config.rebootWindow.timezone}`,
			`BACKUP_AT=${backupTime(config.rebootWindow.start)}`,
			`DRILL_AT=${drillTime(config.rebootWindow.start)}`
		])
	});
	if (config.backup && secrets.backup) {
		const b = config.backup;
		files.push({
			path: 'backup.conf',
			contents: lines([
				`RESTIC_IMAGE=${RESTIC_IMAGE}`,
				`HOST=nassella-${config.id}`,
				`KEEP_DAILY=${b.keepDaily}`,
				`KEEP_WEEKLY=${b.keepWeekly}`,
				`KEEP_MONTHLY=${b.keepMonthly}`
			])
		});
		files.push({
			path: 'backup-excludes.txt',
			contents: lines(apps.flatMap((a) => a.backupExclude.map((p) => `/backup/data/${a.id}/${p.replace(/^\/+/, '')}`)))
		});
		files.push({
			path: 'dumps.list',
			contents: lines(apps.flatMap((a) => a.backupHooks.map((h) => `${a.id}/${h.file}`)))
		});
		files.push({
			path: 'backup-stop.list',
			contents: lines(
				apps.filter((a) => a.stopDuringBackup).map((a) => [a.id, ...a.services.map((s) => s.name)].join(' '))
			)
		});
		const env: Record<string, string> = {
			RESTIC_REPOSITORY: `s3:https://${b.endpoint}/${b.bucket}${b.prefix ? `/${b.prefix}` : ''}`,
			RESTIC_PASSWORD: secrets.backup.resticPassword,
			AWS_ACCESS_KEY_ID: secrets.backup.accessKeyId,
			AWS_SECRET_ACCESS_KEY: secrets.backup.secretAccessKey
		};
		seal('env/backup.env.age', renderDockerEnv(env, 'The backup settings'));
	}
	files.push(...(await Promise.all(sealed)));
	files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
	files.push({ path: MANIFEST_PATH, contents: renderManifest(files) });
	return { files, ignition: renderIgnition(deployment), apps };
}
