/** The build step: a valid catalog becomes a module; an invalid entry stops the build with its problems. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogPlugin, CATALOG_MODULE } from '../../catalog/vite-plugin.ts';
import { CATALOG_DIR } from '../../catalog/load.ts';

type Hook = (this: unknown, id: string) => unknown;
function run(dir: string): string {
	const plugin = catalogPlugin(dir);
	const ctx = {
		addWatchFile() {},
		error(message: string): never {
			throw new Error(message);
		}
	};
	const id = (plugin.resolveId as Hook).call(ctx, CATALOG_MODULE) as string;
	return (plugin.load as Hook).call(ctx, id) as string;
}

const tmp = mkdtempSync(join(tmpdir(), 'catalog-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('catalog build step', () => {
	it('turns the catalog into a module with every app', () => {
		const code = run(CATALOG_DIR);
		expect(code.startsWith('export default [')).toBe(true);
		expect(JSON.parse(code.slice('export default '.length, -1))).toHaveLength(30);
	});
	it('fails the build, naming the app and the field, when an entry is invalid', () => {
		cpSync(join(CATALOG_DIR, 'miniflux'), join(tmp, 'miniflux'), { recursive: true });
		cpSync(join(CATALOG_DIR, 'schema.json'), join(tmp, 'schema.json'));
		const file = join(tmp, 'miniflux', 'manifest.yaml');
		writeFileSync(
			file,
			readFileSync(file, 'utf8').replace(/( {4}image: miniflux\/miniflux:[^\n]+)/, '$1\n    privileged: true')
		);
		expect(() => run(tmp)).toThrow(
			/The app catalog has problems:\n {2}- miniflux: \/services\/miniflux must NOT have additional properties "privileged"/
		);
	});
	it('names the file and line of a manifest that is not valid YAML, and refuses duplicate keys', () => {
		const file = join(tmp, 'miniflux', 'manifest.yaml');
		writeFileSync(file, 'manifestVersion: 1\nid: miniflux\nid: other\n');
		expect(() => run(tmp)).toThrow(/miniflux: manifest.yaml is not valid YAML: duplicated mapping key/);
		writeFileSync(file, 'services: [unclosed\n');
		expect(() => run(tmp)).toThrow(/miniflux: manifest.yaml is not valid YAML/);
	});
});
