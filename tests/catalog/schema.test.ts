/** The JSON Schema, the TypeScript types and the rules in check.ts describe the same format. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG_DIR, manifestValidator } from '../../catalog/load.ts';
import { CATEGORIES } from '../../src/lib/core/catalog/types.ts';
import { ALLOWED_SERVICE_KEYS } from '../../src/lib/core/catalog/check.ts';
import { ALPHABETS } from '../../src/lib/core/catalog/secrets.ts';

const schema = JSON.parse(readFileSync(join(CATALOG_DIR, 'schema.json'), 'utf8'));

describe('catalog/schema.json', () => {
	it('compiles in AJV strict mode (JSON Schema 2020-12)', () => {
		expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
		expect(typeof manifestValidator()).toBe('function');
	});
	it('lists the same categories as the types', () => {
		expect(schema.properties.category.enum).toEqual([...CATEGORIES]);
	});
	it('allows exactly the compose keys the rules allow', () => {
		expect(Object.keys(schema.$defs.service.properties).sort()).toEqual([...ALLOWED_SERVICE_KEYS].sort());
	});
	it('offers the secret alphabets the generator knows', () => {
		expect(schema.properties.secrets.items.properties.alphabet.enum.sort()).toEqual(Object.keys(ALPHABETS).sort());
	});
	it('rejects a manifest with an unknown top-level field', () => {
		const validate = manifestValidator();
		expect(validate({ manifestVersion: 1, extra: true })).toBe(false);
		expect(validate.errors?.some((e) => e.keyword === 'additionalProperties')).toBe(true);
	});
});
