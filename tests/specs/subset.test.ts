/**
 * The fakes validate against subsets of the official OpenAPI documents, committed so `npm start`
 * works without ../shared. This checks each subset still equals what the extractor makes from
 * the official file (when ../shared/specs is present, as in CI), and that every operation an
 * adapter calls is in it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { extractSubset, here, SPEC_FILES } from '../../workers/sandbox/specs/extract.ts';
import { USED_OPERATIONS } from '../../workers/sandbox/specs/used.ts';

// ../shared beside the clone (CI), or one level further up (a git worktree); SHARED_DIR overrides.
const root = join(import.meta.dirname, '../..');
const shared =
	[
		process.env.SHARED_DIR && join(process.env.SHARED_DIR, 'specs'),
		join(root, '../shared/specs'),
		join(root, '../../shared/specs')
	].find((d): d is string => !!d && existsSync(d)) ?? join(root, '../shared/specs');

describe('committed spec subsets', () => {
	for (const [name, file] of Object.entries(SPEC_FILES)) {
		const subset = JSON.parse(readFileSync(join(here, `${name}.subset.json`), 'utf8'));

		it.runIf(existsSync(join(shared, file)))(`${name} matches the official ${file}`, () => {
			const official = JSON.parse(readFileSync(join(shared, file), 'utf8'));
			expect(subset).toEqual(extractSubset(official, USED_OPERATIONS[name as keyof typeof SPEC_FILES]));
		});

		it(`${name} holds every used operation and resolves every $ref`, () => {
			for (const [path, methods] of Object.entries(USED_OPERATIONS[name as keyof typeof SPEC_FILES]))
				for (const m of methods) expect(subset.paths[path]?.[m], `${m} ${path}`).toBeTruthy();
			const refs = JSON.stringify(subset).match(/"\$ref":"#\/[^"]+"/g) ?? [];
			for (const r of refs) {
				const pointer = r.slice(9, -1).split('/').slice(1);
				let node = subset;
				for (const k of pointer) node = node?.[k.replace(/~1/g, '/').replace(/~0/g, '~')];
				expect(node, r).toBeDefined();
			}
		});
	}

	it.runIf(existsSync(join(shared, 'powerdns-authoritative-openapi.yaml')))(
		'the PowerDNS document is the official one (formatted, same content)',
		() => {
			const read = (dir: string) => parse(readFileSync(join(dir, 'powerdns-authoritative-openapi.yaml'), 'utf8'));
			expect(read(here)).toEqual(read(shared));
		}
	);
});
