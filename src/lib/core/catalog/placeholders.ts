/**
 * Placeholders in catalog compose values: `{{kind.name}}` or `{{data}}` / `{{timezone}}`.
 * The syntax cannot collide with Compose's `$` interpolation, and a `$` is refused in
 * catalog values altogether (substituted values have theirs escaped as `$$`).
 */
import type { AppManifest, CatalogService, ResolveContext } from './types.ts';

export const PLACEHOLDER_KINDS = ['secret', 'input', 'host', 'url', 'smtp', 'data', 'timezone'] as const;
export type PlaceholderKind = (typeof PLACEHOLDER_KINDS)[number];

/** Fields of `{{smtp.<field>}}`. */
export const SMTP_FIELDS = [
	'host',
	'port',
	'username',
	'password',
	'from',
	'from_local',
	'from_domain',
	'security'
] as const;

export interface Placeholder {
	kind: PlaceholderKind;
	/** Empty for `{{data}}` and `{{timezone}}`. */
	name: string;
	/** The text as written, e.g. `{{secret.db_password}}`. */
	raw: string;
}

/** A catalog value that cannot be used as it is; `message` says what and where, never a secret value. */
export class CatalogError extends Error {
	readonly appId: string;
	constructor(appId: string, message: string) {
		super(appId ? `${appId}: ${message}` : message);
		this.name = 'CatalogError';
		this.appId = appId;
	}
}

/** An IANA time zone name (`UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`). */
const TIMEZONE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;
/** A DNS host name in ASCII (IDNs arrive as punycode). */
const HOST = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;
const TOKEN = /\{\{([^{}]*)\}\}/g;
const BODY = /^(secret|input|host|url|smtp)\.([a-z][a-z0-9_]{0,62})$|^(data|timezone)$/;

/**
 * The placeholders in one string. Throws on malformed braces (`{{ x`, `{{nope.x}}`, a stray `}}`)
 * so a typo never reaches a server as literal text.
 */
export function parsePlaceholders(value: string, appId = ''): Placeholder[] {
	const found: Placeholder[] = [];
	for (const match of value.matchAll(TOKEN)) {
		const body = match[1] ?? '';
		const m = BODY.exec(body);
		if (!m) {
			throw new CatalogError(
				appId,
				`unknown placeholder "${match[0]}": use {{secret.<id>}}, {{input.<id>}}, {{host.<entrypoint>}}, {{url.<entrypoint>}}, {{smtp.<field>}}, {{data}} or {{timezone}}`
			);
		}
		if (m[3]) found.push({ kind: m[3] as PlaceholderKind, name: '', raw: match[0] });
		else found.push({ kind: m[1] as PlaceholderKind, name: m[2] ?? '', raw: match[0] });
	}
	const rest = value.replace(TOKEN, '');
	if (rest.includes('{{') || rest.includes('}}')) {
		throw new CatalogError(appId, `unbalanced "{{" or "}}" in "${truncate(value)}"`);
	}
	return found;
}

/** Every string in a value (object keys are not included). */
export function* stringsIn(value: unknown): Generator<string> {
	if (typeof value === 'string') yield value;
	else if (Array.isArray(value)) for (const v of value) yield* stringsIn(v);
	else if (value && typeof value === 'object') for (const v of Object.values(value)) yield* stringsIn(v);
}

/**
 * Checks that every placeholder a manifest uses refers to something it declares.
 * Returns the problems in plain words (empty when all is well).
 */
export function checkReferences(manifest: AppManifest): string[] {
	const problems: string[] = [];
	const secrets = new Set(manifest.secrets.map((s) => s.id));
	const inputs = new Set(manifest.inputs.map((i) => i.id));
	const entrypoints = new Set(manifest.entrypoints.map((e) => e.id));
	const check = (where: string, value: unknown, allowed: readonly PlaceholderKind[]) => {
		for (const s of stringsIn(value)) {
			let list: Placeholder[];
			try {
				list = parsePlaceholders(s);
			} catch (e) {
				problems.push(`${where}: ${(e as Error).message}`);
				continue;
			}
			for (const p of list) {
				if (!allowed.includes(p.kind)) problems.push(`${where}: ${p.raw} is not allowed here`);
				else if (p.kind === 'secret' && !secrets.has(p.name))
					problems.push(`${where}: ${p.raw} refers to a secret the manifest does not declare`);
				else if (p.kind === 'input' && !inputs.has(p.name))
					problems.push(`${where}: ${p.raw} refers to an input the manifest does not declare`);
				else if ((p.kind === 'host' || p.kind === 'url') && !entrypoints.has(p.name))
					problems.push(`${where}: ${p.raw} refers to an entrypoint the manifest does not declare`);
				else if (p.kind === 'smtp' && !(SMTP_FIELDS as readonly string[]).includes(p.name))
					problems.push(`${where}: ${p.raw} is not an SMTP field (${SMTP_FIELDS.join(', ')})`);
			}
		}
	};
	const general: PlaceholderKind[] = ['secret', 'input', 'host', 'url', 'data', 'timezone'];
	for (const [name, service] of Object.entries(manifest.services)) check(`service ${name}`, service, general);
	if (manifest.smtp) check('smtp', manifest.smtp.environment, [...general, 'smtp']);
	for (const c of [...manifest.backup.dumps, ...manifest.backup.restore])
		check('backup', c.command, ['secret', 'input']);
	return problems;
}

export interface ResolveOptions {
	/**
	 * How a secret is written into the output. By default its value; a generator that keeps
	 * secrets out of the compose file can return a reference to an encrypted env file instead.
	 * The returned text is inserted as is (not `$`-escaped).
	 */
	renderSecret?: (id: string, value: string) => string;
	/**
	 * Default true: the output is read by Compose, so a `$` in the catalog value is refused and a
	 * `$` in a substituted value is written as `$$`. False: the caller escapes the whole output
	 * for its target itself (or it is not read by Compose at all, like backup commands, which may
	 * use `$VAR` for the container's own environment). `checkManifest()` refuses `$` in compose
	 * values whatever the option.
	 */
	escapeDollar?: boolean;
}

/** Substitutes the placeholders in one string; refuses unknown references and missing values. */
export function resolveString(
	value: string,
	manifest: AppManifest,
	ctx: ResolveContext,
	options: ResolveOptions = {}
): string {
	const escape = options.escapeDollar ?? true;
	if (escape && value.includes('$')) {
		throw new CatalogError(
			manifest.id,
			`"${truncate(value)}" contains "$", which Compose would read as a variable; use a placeholder instead`
		);
	}
	const list = parsePlaceholders(value, manifest.id);
	if (list.length === 0) return value;
	return value.replace(TOKEN, (raw) => {
		const p = list.find((x) => x.raw === raw)!;
		const text = lookup(p, manifest, ctx, options);
		if (p.kind === 'secret' && options.renderSecret) return text;
		if (/[\n\r\0]/.test(text)) throw new CatalogError(manifest.id, `the value for ${raw} contains a line break`);
		return escape ? text.replaceAll('$', '$$$$') : text;
	});
}

function lookup(p: Placeholder, manifest: AppManifest, ctx: ResolveContext, options: ResolveOptions): string {
	const id = manifest.id;
	switch (p.kind) {
		case 'data':
			if (!ctx.dataDir.startsWith('/')) throw new CatalogError(id, 'the data directory must be an absolute path');
			return ctx.dataDir.replace(/\/+$/, '');
		case 'timezone':
			if (!TIMEZONE.test(ctx.timezone))
				throw new CatalogError(id, 'the time zone is not a valid name like Europe/Berlin');
			return ctx.timezone;
		case 'secret': {
			if (!manifest.secrets.some((s) => s.id === p.name))
				throw new CatalogError(id, `${p.raw} refers to a secret the manifest does not declare`);
			const v = ctx.secrets[p.name];
			if (v === undefined) throw new CatalogError(id, `the secret "${p.name}" has not been generated yet`);
			return options.renderSecret ? options.renderSecret(p.name, v) : v;
		}
		case 'input': {
			const spec = manifest.inputs.find((i) => i.id === p.name);
			if (!spec) throw new CatalogError(id, `${p.raw} refers to an input the manifest does not declare`);
			const v = ctx.inputs[p.name] ?? spec.default;
			if (v === undefined) throw new CatalogError(id, `"${spec.label}" has no value yet`);
			return v;
		}
		case 'host':
		case 'url': {
			if (!manifest.entrypoints.some((e) => e.id === p.name))
				throw new CatalogError(id, `${p.raw} refers to an entrypoint the manifest does not declare`);
			const host = ctx.hosts[p.name];
			if (!host) throw new CatalogError(id, `no host name for entrypoint "${p.name}"`);
			if (!HOST.test(host))
				throw new CatalogError(id, `the host name for entrypoint "${p.name}" is not a valid DNS name`);
			if (p.kind === 'host') return host;
			const ep = manifest.entrypoints.find((e) => e.id === p.name)!;
			const path = ep.path && ep.path !== '/' ? ep.path.replace(/\/+$/, '') : '';
			return `https://${host}${path}`;
		}
		case 'smtp': {
			if (!ctx.smtp) throw new CatalogError(id, `${p.raw} is used but no outgoing mail is set up`);
			const field = p.name as keyof typeof ctx.smtp;
			if (!(SMTP_FIELDS as readonly string[]).includes(field))
				throw new CatalogError(id, `${p.raw} is not an SMTP field (${SMTP_FIELDS.join(', ')})`);
			if (field === 'security' && manifest.smtp?.securityValues) return manifest.smtp.securityValues[ctx.smtp.security];
			if (p.name === 'from_local' || p.name === 'from_domain') {
				const at = ctx.smtp.from.lastIndexOf('@');
				if (at < 1) throw new CatalogError(id, 'the sender address for outgoing mail is not an email address');
				return p.name === 'from_local' ? ctx.smtp.from.slice(0, at) : ctx.smtp.from.slice(at + 1);
			}
			return String(ctx.smtp[field]);
		}
	}
}

function resolveValue<T>(value: T, manifest: AppManifest, ctx: ResolveContext, options: ResolveOptions): T {
	if (typeof value === 'string') return resolveString(value, manifest, ctx, options) as T;
	if (Array.isArray(value)) return value.map((v) => resolveValue(v, manifest, ctx, options)) as T;
	if (value && typeof value === 'object') {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, manifest, ctx, options);
		return out as T;
	}
	return value;
}

/**
 * The app's compose services with every placeholder substituted; SMTP environment is merged
 * in only when `ctx.smtp` is set. Pure: the manifest is not changed.
 */
export function resolveServices(
	manifest: AppManifest,
	ctx: ResolveContext,
	options: ResolveOptions = {}
): Record<string, CatalogService> {
	const out: Record<string, CatalogService> = {};
	for (const [name, service] of Object.entries(manifest.services)) {
		out[name] = resolveValue(service, manifest, ctx, options);
	}
	if (ctx.smtp && manifest.smtp) {
		const target = out[manifest.smtp.service];
		if (!target) throw new CatalogError(manifest.id, `smtp refers to an unknown service "${manifest.smtp.service}"`);
		target.environment = { ...target.environment, ...resolveValue(manifest.smtp.environment, manifest, ctx, options) };
	}
	return out;
}

/** Backup or restore commands with their placeholders substituted (no `$` escaping: they are argv, not Compose). */
export function resolveCommands(
	manifest: AppManifest,
	which: 'dumps' | 'restore',
	ctx: ResolveContext
): { service: string; command: string[]; file: string }[] {
	return manifest.backup[which].map((c) => ({
		service: c.service,
		file: c.file,
		command: c.command.map((part) => {
			const list = parsePlaceholders(part, manifest.id);
			return part.replace(TOKEN, (raw) =>
				lookup(
					list.find((x) => x.raw === raw)!,
					manifest,
					ctx,
					{}
				)
			);
		})
	}));
}

function truncate(s: string): string {
	return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
