/** Shared by the catalog tests and benchmark: a resolve context for any app, and the Compose schema. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import bcrypt from 'bcryptjs';
import type { AppManifest, ResolveContext } from '../../src/lib/core/catalog/types.ts';
import { ensureSecrets, type DeriveSecret } from '../../src/lib/core/catalog/secrets.ts';

/** bcrypt for derived secrets in tests: cheap (cost 4) and with a fixed salt, so results repeat. */
export const testDerive: DeriveSecret = (_kind, value) => bcrypt.hashSync(value, `$2b$04$${'nassellatestsaltnasse'}u`);

/** A deterministic random source (tests only). */
export function seededRandom(seed = 1): (b: Uint8Array<ArrayBuffer>) => Uint8Array {
	let x = seed >>> 0 || 1;
	return (b) => {
		for (let i = 0; i < b.length; i++) {
			x ^= x << 13;
			x ^= x >>> 17;
			x ^= x << 5;
			b[i] = x & 0xff;
		}
		return b;
	};
}

export function contextFor(app: AppManifest, domain = 'example.org', withSmtp = true): ResolveContext {
	const inputs: Record<string, string> = {};
	for (const i of app.inputs) {
		inputs[i.id] =
			i.default ??
			(i.type === 'email'
				? 'person@example.org'
				: i.type === 'boolean'
					? 'false'
					: i.type === 'select'
						? i.options![0]!.value
						: 'value1');
	}
	return {
		secrets: ensureSecrets(app, {}, seededRandom(app.id.length), testDerive),
		inputs,
		hosts: Object.fromEntries(app.entrypoints.map((e) => [e.id, `${e.subdomain}.${domain}`])),
		dataDir: `/srv/nassella/apps/${app.id}`,
		timezone: 'Europe/Berlin',
		smtp: withSmtp
			? {
					host: 'smtp.example.org',
					port: 587,
					username: 'mailer',
					password: 'p$ss"word',
					from: 'server@example.org',
					security: 'starttls'
				}
			: undefined
	};
}

/** The Compose schema kept in the repo, the one `nassella validate` uses (see src/cli/schemas/SOURCE.md). */
export function composeValidator() {
	const file = join(import.meta.dirname, '../../src/cli/schemas/compose-spec.json');
	const schema = JSON.parse(readFileSync(file, 'utf8'));
	return new Ajv({ allErrors: true, strict: false, validateFormats: false, validateSchema: false }).compile(schema);
}
