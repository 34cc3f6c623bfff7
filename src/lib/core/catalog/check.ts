/**
 * Rules for a catalog manifest beyond what `catalog/schema.json` expresses: references between
 * fields, the allowlist of compose keys and volume forms, pinned images. Pure; used by the
 * build step, the tests, and anything that loads a manifest.
 */
import { checkFirstStart } from './first-start.ts';
import { checkReferences, stringsIn } from './placeholders.ts';
import type { AppManifest } from './types.ts';

/** The only compose keys a catalog service may use. Everything else (privileged, network_mode, ports, cap_add, devices, pid…) is refused. */
export const ALLOWED_SERVICE_KEYS = [
	'image',
	'command',
	'entrypoint',
	'environment',
	'volumes',
	'depends_on',
	'healthcheck',
	'user',
	'working_dir',
	'tmpfs',
	'shm_size',
	'stop_grace_period',
	'read_only'
] as const;

export const APP_ID = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
/**
 * `registry/path/name:tag`, the tag an exact version (contains a digit; never `latest`), or
 * `registry/path/name@sha256:<digest>` for upstreams that publish no version tags.
 */
export const PINNED_IMAGE =
	/^(?:[a-z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|@sha256:[a-f0-9]{64})$/;
/** `{{data}}/<relative dir>:<absolute container path>[:ro]`. */
export const VOLUME = /^\{\{data\}\}\/([a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)*):(\/[A-Za-z0-9._/-]*)(?::ro)?$/;
const RELATIVE_PATH = /^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)*\/?$/;

export function isPinnedImage(image: string): boolean {
	if (!PINNED_IMAGE.test(image)) return false;
	if (image.includes('@sha256:')) return true;
	const tag = image.slice(image.lastIndexOf(':') + 1);
	return tag !== 'latest' && /[0-9]/.test(tag);
}

/** All problems with a manifest, each a plain sentence naming the field; empty when it is fine. */
export function checkManifest(m: AppManifest): string[] {
	const problems: string[] = [];
	const say = (s: string) => problems.push(s);
	if (!APP_ID.test(m.id)) say(`id "${m.id}" must be lower-case letters, digits and dashes`);
	const serviceNames = Object.keys(m.services ?? {});
	if (serviceNames.length === 0) say('services: at least one service is needed');
	for (const name of serviceNames) {
		if (name !== m.id && !name.startsWith(`${m.id}-`))
			say(`service "${name}": its name must be "${m.id}" or start with "${m.id}-" so apps never clash`);
		const s = m.services[name] as unknown as Record<string, unknown>;
		for (const key of Object.keys(s)) {
			if (!(ALLOWED_SERVICE_KEYS as readonly string[]).includes(key))
				say(`service "${name}": "${key}" is not allowed in the catalog (allowed: ${ALLOWED_SERVICE_KEYS.join(', ')})`);
		}
		const image = s.image;
		if (typeof image !== 'string' || !isPinnedImage(image))
			say(`service "${name}": image "${String(image)}" must be pinned to an exact version tag, never "latest"`);
		const volumes = Array.isArray(s.volumes) ? s.volumes : [];
		const targets = new Set<string>();
		for (const v of volumes) {
			const match = typeof v === 'string' ? VOLUME.exec(v) : null;
			if (!match) {
				say(
					`service "${name}": volume "${String(v)}" must be "{{data}}/<folder>:<path in container>" so its data stays on the data volume`
				);
				continue;
			}
			if (match[1]!.split('/').some((seg) => seg === '.' || seg === '..'))
				say(`service "${name}": volume "${v}" may not leave the app's data directory`);
			if (targets.has(match[2]!)) say(`service "${name}": two volumes mount onto "${match[2]}"`);
			targets.add(match[2]!);
		}
		const deps = (s.depends_on ?? {}) as Record<string, unknown>;
		for (const dep of Object.keys(deps)) {
			if (!serviceNames.includes(dep))
				say(`service "${name}": depends on "${dep}", which is not a service of this app`);
		}
		for (const [key, value] of Object.entries(s)) {
			if (key === 'volumes') continue;
			for (const str of stringsIn(value))
				if (str.includes('{{data}}'))
					say(`service "${name}": {{data}} is a path on the server, so it belongs in "volumes" only, not in "${key}"`);
		}
		for (const str of stringsIn(s)) {
			if (str.includes('$'))
				say(
					`service "${name}": "${short(str)}" contains "$", which Compose would read as a variable; use a placeholder`
				);
		}
	}
	const entryIds = new Set<string>();
	const subdomains = new Set<string>();
	for (const e of m.entrypoints ?? []) {
		if (entryIds.has(e.id)) say(`entrypoint "${e.id}" is declared twice`);
		entryIds.add(e.id);
		if (subdomains.has(e.subdomain)) say(`subdomain "${e.subdomain}" is used twice`);
		subdomains.add(e.subdomain);
		if (!serviceNames.includes(e.service)) say(`entrypoint "${e.id}": unknown service "${e.service}"`);
	}
	if (m.health && !entryIds.has(m.health.entrypoint)) say(`health: unknown entrypoint "${m.health.entrypoint}"`);
	if (m.resources) problems.push(...checkResources(m, serviceNames));
	if (m.inputs && m.secrets) problems.push(...checkFirstStart(m));
	if (m.upgrades) problems.push(...checkUpgrades(m, serviceNames));
	// A declared folder must be one the app mounts, so its owner is what the app sees.
	const mounted = Object.values(m.services ?? {}).flatMap((svc) =>
		(svc.volumes ?? []).flatMap((v) => {
			const hit = /^\{\{data\}\}\/([^:]+):/.exec(v);
			return hit ? [hit[1]!.replace(/\/+$/, '')] : [];
		})
	);
	const folderPaths = new Set<string>();
	for (const f of m.folders ?? []) {
		if (folderPaths.has(f.path)) say(`folders: "${f.path}" is declared twice`);
		folderPaths.add(f.path);
		if (f.path.split('/').includes('..') || !mounted.some((v) => v === f.path || v.startsWith(`${f.path}/`)))
			say(`folders: "${f.path}" is not a folder any service mounts as {{data}}/${f.path}`);
	}
	for (const c of [...(m.backup?.dumps ?? []), ...(m.backup?.restore ?? [])]) {
		if (!serviceNames.includes(c.service)) say(`backup: unknown service "${c.service}"`);
		if (!RELATIVE_PATH.test(c.file) || c.file.split('/').includes('..'))
			say(`backup: file "${c.file}" must be a path inside the app's data directory`);
	}
	for (const p of m.backup?.exclude ?? []) {
		if (!RELATIVE_PATH.test(p) || p.split('/').includes('..'))
			say(`backup: excluded path "${p}" must be a path inside the app's data directory`);
	}
	if ((m.backup?.dumps.length ?? 0) > 0 && (m.backup?.restore.length ?? 0) === 0)
		say('backup: an app that dumps a database needs restore commands to load the dump back');
	if (m.smtp) {
		if (!serviceNames.includes(m.smtp.service)) say(`smtp: unknown service "${m.smtp.service}"`);
		for (const str of stringsIn(m.smtp.environment))
			if (str.includes('$')) say(`smtp: "${short(str)}" contains "$"; use a placeholder`);
	}
	const secretIds = new Set<string>();
	for (const s of m.secrets ?? []) {
		if (secretIds.has(s.id)) say(`secret "${s.id}" is declared twice`);
		secretIds.add(s.id);
	}
	for (const s of m.secrets ?? [])
		if (s.bcryptOf !== undefined && !m.secrets.some((o) => o.id === s.bcryptOf && o.bcryptOf === undefined))
			say(`secret "${s.id}": bcryptOf "${s.bcryptOf}" must name a generated secret of this app`);
	const inputIds = new Set<string>();
	for (const i of m.inputs ?? []) {
		if (inputIds.has(i.id)) say(`input "${i.id}" is declared twice`);
		inputIds.add(i.id);
		if (i.type === 'select' && !(i.options && i.options.length > 0)) say(`input "${i.id}": a select needs options`);
		if (i.type === 'select' && i.default !== undefined && !i.options?.some((o) => o.value === i.default))
			say(`input "${i.id}": the default is not one of the options`);
		if (i.type === 'boolean' && i.default !== undefined && i.default !== 'true' && i.default !== 'false')
			say(`input "${i.id}": a boolean default is "true" or "false"`);
		if (i.pattern) {
			try {
				new RegExp(i.pattern, 'u');
			} catch {
				say(`input "${i.id}": the pattern is not a valid regular expression`);
			}
		}
	}
	if (m.services && m.entrypoints && m.secrets && m.inputs && m.backup) {
		problems.push(...checkReferences(m));
		const used = JSON.stringify([m.services, m.smtp?.environment ?? {}, m.backup]);
		// A secret is also used when it is the first login the person gets, or the source of a derived one.
		const usedElsewhere = new Set([
			...(m.firstStart?.login ? [m.firstStart.login.secret] : []),
			...m.secrets.flatMap((s) => (s.bcryptOf !== undefined && used.includes(`{{secret.${s.id}}}`) ? [s.bcryptOf] : []))
		]);
		for (const s of m.secrets)
			if (!used.includes(`{{secret.${s.id}}}`) && !usedElsewhere.has(s.id))
				say(`secret "${s.id}" is declared but never used`);
		for (const i of m.inputs)
			if (!used.includes(`{{input.${i.id}}}`)) say(`input "${i.id}" is declared but never used`);
	}
	return problems;
}

/** Memory figures, limits and the lighter variant agree with each other and with the services. */
function checkResources(m: AppManifest, serviceNames: string[]): string[] {
	const problems: string[] = [];
	const say = (s: string) => problems.push(`resources: ${s}`);
	const r = m.resources;
	if (r.ramRecommendedMiB < r.ramMinMiB) say('recommended memory is below the minimum');
	const limits = r.memoryLimitsMiB ?? {};
	for (const name of serviceNames)
		if (limits[name] === undefined) say(`service "${name}" has no memory limit in memoryLimitsMiB`);
	for (const name of Object.keys(limits))
		if (!serviceNames.includes(name)) say(`memoryLimitsMiB names "${name}", which is not a service of this app`);
	const total = Object.values(limits).reduce((a, b) => a + b, 0);
	if (total < r.ramRecommendedMiB)
		say(
			`the memory limits add up to ${total} MiB, less than the recommended ${r.ramRecommendedMiB} MiB: the app would be stopped in everyday use`
		);
	if ((r.sources ?? []).length === 0) say('say where the figures come from in "sources"');
	const l = r.lighter;
	if (l) {
		const input = m.inputs?.find((i) => i.id === l.input);
		if (!input) say(`lighter: the input "${l.input}" is not declared`);
		else if (input.type === 'boolean' ? l.value !== 'true' && l.value !== 'false' : input.type !== 'select')
			say(`lighter: "${l.input}" must be a yes/no or select input, and the value one it can take`);
		else if (input.type === 'select' && !input.options?.some((o) => o.value === l.value))
			say(`lighter: "${l.value}" is not one of the options of "${l.input}"`);
		if (l.ramMinMiB > r.ramMinMiB || l.ramRecommendedMiB > r.ramRecommendedMiB)
			say('lighter: its figures must not be above the full ones');
		if (l.ramRecommendedMiB < l.ramMinMiB) say('lighter: recommended memory is below the minimum');
		const omitted = new Set(l.omitServices);
		for (const name of omitted) if (!serviceNames.includes(name)) say(`lighter: unknown service "${name}"`);
		for (const [name, s] of Object.entries(m.services ?? {})) {
			if (omitted.has(name)) continue;
			for (const dep of Object.keys(s.depends_on ?? {}))
				if (omitted.has(dep)) say(`lighter: "${name}" depends on "${dep}", which the lighter variant leaves out`);
		}
		for (const e of m.entrypoints ?? [])
			if (omitted.has(e.service)) say(`lighter: entrypoint "${e.id}" is served by a service it leaves out`);
		for (const c of [...(m.backup?.dumps ?? []), ...(m.backup?.restore ?? [])])
			if (omitted.has(c.service)) say(`lighter: a backup command runs in "${c.service}", which it leaves out`);
	}
	return problems;
}

/** `1.2.3` → [1, 2, 3]; undefined when it is not dotted numbers. */
function versionParts(v: string): number[] | undefined {
	return /^[0-9]+(\.[0-9]+)*$/.test(v) ? v.split('.').map(Number) : undefined;
}

function compareVersions(a: number[], b: number[]): number {
	for (let i = 0; i < Math.max(a.length, b.length); i++) {
		const d = (a[i] ?? 0) - (b[i] ?? 0);
		if (d !== 0) return d;
	}
	return 0;
}

/**
 * The upgrade path: releases in order, each below the manifest's version, with pinned images of
 * the app's services; one major version per step, without a gap, when the app cannot skip one.
 */
function checkUpgrades(m: AppManifest, serviceNames: string[]): string[] {
	const problems: string[] = [];
	const say = (s: string) => problems.push(`upgrades: ${s}`);
	const u = m.upgrades!;
	const path = u.path ?? [];
	if (u.stepwise === 'none' && path.length > 0) say('a path is only for apps that upgrade step by step');
	if (u.stepwise === 'major' && path.length === 0) say('list the releases to go through in "path"');
	const target = versionParts(m.version);
	if (!target) return [...problems, 'upgrades: the version must be dotted numbers (1.2.3) to have an upgrade path'];
	let previous: number[] | undefined;
	for (const step of path) {
		const v = versionParts(step.version);
		if (!v) {
			say(`"${step.version}" is not a version`);
			continue;
		}
		if (previous && compareVersions(v, previous) <= 0) say(`"${step.version}" is not after the step before it`);
		if (compareVersions(v, target) >= 0) say(`"${step.version}" is not before the version ${m.version}`);
		if (u.stepwise === 'major' && previous && v[0]! !== previous[0]! + 1)
			say(`"${step.version}" skips a major version after ${previous.join('.')}`);
		for (const [service, image] of Object.entries(step.images)) {
			if (!serviceNames.includes(service)) say(`"${step.version}": "${service}" is not a service of this app`);
			if (!isPinnedImage(image)) say(`"${step.version}": image "${image}" must be pinned to an exact version`);
			else if (!image.slice(image.lastIndexOf(':') + 1).startsWith(step.version))
				say(`"${step.version}": image "${image}" is not that version`);
		}
		previous = v;
	}
	if (u.stepwise === 'major' && previous && target[0]! !== previous[0]! + 1)
		say(`the last step ${previous.join('.')} must be the major version just before ${m.version}`);
	return problems;
}

function short(s: string): string {
	return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
