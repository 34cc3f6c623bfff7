import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ImportRefusedError } from '../../core/vault/errors.ts';
import { EXPORT_ENTRIES, IMPORT_LIMITS } from '../../core/vault/export-format.ts';
import type { ArchiveLimits } from '../../ports/vault.ts';
import { craftZip, type CraftedEntry } from '../../../../tests/vault/crafted-zip.ts';
import { zipArchive } from './vault-zip.ts';

const LIMITS: ArchiveLimits = { names: EXPORT_ENTRIES, ...IMPORT_LIMITS };
const archive = zipArchive();
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);
const random = (n: number) => new Uint8Array(randomBytes(n));
const ok: CraftedEntry[] = [
	{ name: 'manifest.json', data: new TextEncoder().encode('{"a":1}') },
	{ name: 'records.bin', data: random(300) }
];

async function refusal(entries: CraftedEntry[] | Uint8Array, limits = LIMITS): Promise<string> {
	const zip = entries instanceof Uint8Array ? entries : craftZip(entries);
	try {
		await archive.read(new Blob([zip as Uint8Array<ArrayBuffer>]), limits);
	} catch (error) {
		expect(error).toBeInstanceOf(ImportRefusedError);
		return (error as Error).message;
	}
	return 'accepted';
}

describe('zip archive', () => {
	it('round-trips what it writes', async () => {
		const blob = await archive.write([
			{ name: 'manifest.json', bytes: bytes(10, 65) },
			{ name: 'records.bin', bytes: bytes(1000, 3) }
		]);
		const read = await archive.read(blob, LIMITS);
		expect([...read.keys()].sort()).toEqual(['manifest.json', 'records.bin']);
		expect(read.get('records.bin')).toEqual(bytes(1000, 3));
	});

	it('reads a well-formed crafted zip (the helper itself is sound)', async () => {
		expect(await refusal(ok)).toBe('accepted');
		expect(await refusal([ok[0]!, { ...ok[1]!, deflate: true }])).toBe('accepted');
	});

	it('refuses path traversal and absolute names', async () => {
		for (const name of ['../manifest.json', 'a/../../records.bin', '/etc/passwd', 'C:/x', '..\\records.bin']) {
			expect(await refusal([ok[0]!, { name, data: bytes(3) }, ok[1]!]), name).toMatch(/points outside its folder/);
		}
	});

	it('refuses unexpected names, folders, links and duplicates', async () => {
		expect(await refusal([...ok, { name: '.git/config', data: bytes(3) }])).toMatch(/unexpected entry ".git\/config"/);
		expect(await refusal([...ok, { name: 'Manifest.json', data: bytes(3) }])).toMatch(/unexpected entry/);
		expect(await refusal([...ok, { name: 'records/', data: bytes(0) }])).toMatch(/folder/);
		expect(await refusal([ok[0]!, { name: 'records.bin', data: bytes(8), mode: 0o120777 }])).toMatch(/link/);
		expect(await refusal([...ok, ok[1]!])).toMatch(/twice/);
		expect(await refusal([ok[0]!])).toMatch(/missing "records.bin"/);
	});

	it('refuses too many entries before reading them all', async () => {
		const many = Array.from({ length: 17 }, (_, i) => ({ name: `x${i}`, data: bytes(1) }));
		expect(await refusal(many, { ...LIMITS, names: many.map((e) => e.name) })).toMatch(/more than 16 entries/);
	});

	it('stops a zip bomb by counting inflated bytes (ratio)', async () => {
		const bomb = { name: 'records.bin', data: bytes(900 * 1024, 0), deflate: true };
		expect(await refusal([ok[0]!, bomb])).toMatch(/compressed more than 100 to 1/);
	});

	it('stops an entry that inflates past 1 MiB', async () => {
		const big = { name: 'records.bin', data: random(1024 * 1024 + 10), deflate: true };
		expect(await refusal([ok[0]!, big])).toMatch(/more than 1 MiB/);
	});

	it('refuses an entry that inflates past its declared size', async () => {
		const lying = { name: 'records.bin', data: random(200 * 1024), declaredSize: 100, deflate: true };
		expect(await refusal([ok[0]!, lying])).toMatch(/declared sizes do not match/);
	});

	it('refuses a file larger than any export could be before unpacking it', async () => {
		expect(await refusal([ok[0]!, { name: 'records.bin', data: random(4 * 1024 * 1024 + 100 * 1024) }])).toMatch(
			/too large/
		);
	});

	it('stops when the total passes the limit', async () => {
		const names = ['a', 'b', 'c', 'd', 'e'];
		// Sparse data: compresses about 20:1, under the ratio limit, so only the total stops it.
		const sparse = () => random(900 * 1024).map((b, i) => (i % 24 === 0 ? b : 0));
		const entries = names.map((name) => ({ name, data: sparse(), deflate: true }));
		expect(await refusal(entries, { ...LIMITS, names })).toMatch(/more than 4 MiB/);
	});

	it('refuses sizes that do not match the contents', async () => {
		expect(await refusal([ok[0]!, { ...ok[1]!, declaredSize: 301 }])).toMatch(/do not match/);
		expect(await refusal([ok[0]!, { ...ok[1]!, declaredSize: 299 }])).toMatch(/do not match/);
	});

	it('refuses what is not a zip at all', async () => {
		expect(await refusal(new TextEncoder().encode('hello'))).toMatch(/not a readable zip/);
		const broken = craftZip(ok);
		broken[46]! ^= 0xff; // inside manifest.json's data: its CRC no longer matches
		expect(await refusal(broken)).not.toBe('accepted');
	});
});
