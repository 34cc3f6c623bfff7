/**
 * The vault service with its real adapters in Node: libsodium, IndexedDB (fake-indexeddb),
 * zip.js and BroadcastChannel. Two services on one database stand for two tabs.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { localKeyholders } from '../../src/lib/adapters/crypto/local-keyholder.ts';
import { broadcastVaultSignals } from '../../src/lib/adapters/storage/vault-channel.ts';
import { idbVaultStore, openVaultDb } from '../../src/lib/adapters/storage/vault-db.ts';
import { craftZip } from './crafted-zip.ts';
import { zipArchive } from '../../src/lib/adapters/zip/vault-zip.ts';
import { fromUtf8, utf8 } from '../../src/lib/core/vault/bytes.ts';
import { EXPORT_ENTRIES, IMPORT_LIMITS } from '../../src/lib/core/vault/export-format.ts';
import { isVaultError, type VaultErrorCode } from '../../src/lib/core/vault/errors.ts';
import { VaultService } from '../../src/lib/services/vault.ts';

const PASS = 'lantern quartz meadow 1987 ferry';
const NEXT = 'velvet anchor pistachio 2049 kite';
const SECRET = 'CANARY-hetzner-token-7f3a9c';
let n = 0;

function tab(name: string, channel: string) {
	return new VaultService({
		store: idbVaultStore({ name }),
		keyholders: localKeyholders(),
		archive: zipArchive(),
		signals: broadcastVaultSignals(channel),
		persistence: { state: async () => ({ persisted: false }), request: async () => false },
		appVersion: '0.1.0-test'
	});
}

function fresh() {
	const id = `svc-${++n}-${Math.random().toString(36).slice(2)}`;
	return { name: id, channel: id, vault: tab(id, id) };
}

async function codeOf(work: Promise<unknown>): Promise<VaultErrorCode | 'ok'> {
	try {
		await work;
		return 'ok';
	} catch (error) {
		if (isVaultError(error)) return error.code;
		throw error;
	}
}

async function rawValues(name: string): Promise<string> {
	const db = await openVaultDb({ name });
	const parts: string[] = [];
	for (const store of ['meta', 'records', 'settings']) {
		for (const value of await db.getAll(store)) {
			parts.push(JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v)));
		}
	}
	db.close();
	return parts.join('\n');
}

async function seeded() {
	const t = fresh();
	await t.vault.init();
	await t.vault.create(PASS);
	await t.vault.put('tokens/hetzner', { token: SECRET });
	await t.vault.put('deployment/abc', { step: 4, done: ['server', 'dns'] });
	await t.vault.put('notes/personal', 'line one\nline two ✓');
	return t;
}

async function snapshot(vault: VaultService) {
	const out: Record<string, unknown> = {};
	for (const name of await vault.list()) out[name] = await vault.get(name);
	return out;
}

describe('vault service', () => {
	it('creates, stores, locks and unlocks; the wrong passphrase is said plainly', async () => {
		const { vault } = await seeded();
		expect(await vault.list()).toEqual(['deployment/abc', 'notes/personal', 'tokens/hetzner']);
		expect(await vault.list('tokens/')).toEqual(['tokens/hetzner']);
		await vault.lock();
		expect(vault.status()).toBe('locked');
		expect(await codeOf(vault.get('tokens/hetzner'))).toBe('locked');
		expect(await codeOf(vault.unlock('lantern quartz meadow 1987 ferr'))).toBe('wrong-passphrase');
		expect(vault.status()).toBe('locked');
		await vault.unlock(PASS);
		expect(await vault.get('tokens/hetzner')).toEqual({ token: SECRET });
		await vault.delete('notes/personal');
		expect(await vault.get('notes/personal')).toBeUndefined();
		expect(await codeOf(vault.put('../escape', 1))).toBe('invalid-name');
	});

	it('a warmed-up keyholder is used for the next unlock, and only once', async () => {
		const t = await seeded();
		let made = 0;
		const factory = localKeyholders();
		const counted = new VaultService({
			store: idbVaultStore({ name: t.name }),
			keyholders: async () => (made++, factory()),
			archive: zipArchive(),
			signals: broadcastVaultSignals('warm-' + t.channel),
			persistence: { state: async () => ({ persisted: false }), request: async () => false },
			appVersion: 'test'
		});
		await counted.init();
		counted.warmUp();
		counted.warmUp();
		expect(made).toBe(1);
		await counted.unlock(PASS);
		expect(made).toBe(1);
		await counted.lock();
		expect(await codeOf(counted.unlock('wrong wrong wrong wrong'))).toBe('wrong-passphrase');
		expect(made).toBe(2);
		await counted.unlock(PASS);
		expect(await counted.get('tokens/hetzner')).toEqual({ token: SECRET });
	});

	it('falls back to the floor in a fresh keyholder when the default memory cannot be had', async () => {
		const { Keyholder } = await import('../../src/lib/core/vault/keyholder.ts');
		const { loadSodium } = await import('../../src/lib/adapters/crypto/sodium.ts');
		const prims = await loadSodium();
		let made = 0;
		const id = `oom-${Math.random()}`;
		const vault = new VaultService({
			store: idbVaultStore({ name: id }),
			keyholders: async () => {
				const first = made++ === 0;
				let broken = false;
				// The first instance behaves like a WebAssembly module that aborted on a failed
				// allocation: every later derivation fails too.
				const k = new Keyholder({
					...prims,
					argon2id: (len, p, s, t, m) => {
						if (first && (broken || m > 19 * 1024)) {
							broken = true;
							throw new Error('Aborted(OOM)');
						}
						return prims.argon2id(len, p, s, t, m);
					}
				});
				return {
					prepare: async () => k.selfTest(),
					create: async (p, c) => k.create(p, c),
					unlock: async (h, p) => k.unlock(h, p),
					rewrap: async (p, c) => k.rewrap(p, c),
					seal: async (n, b) => k.seal(n, b),
					open: async (n, b) => k.open(n, b),
					sealBundle: async (c, b) => k.sealBundle(c, b),
					openBundle: async (c, b) => k.openBundle(c, b),
					lock: async () => k.lock()
				};
			},
			archive: zipArchive(),
			signals: broadcastVaultSignals(id),
			persistence: { state: async () => ({ persisted: false }), request: async () => false },
			appVersion: 'test'
		});
		await vault.init();
		await vault.create(PASS);
		expect(made).toBe(2);
		const header = (await idbVaultStore({ name: id }).readHeader()) as { kdf: { m: number; t: number } };
		expect(header.kdf).toMatchObject({ m: 19 * 1024, t: 2 });
		await vault.put('a', 1);
		await vault.lock();
		await vault.unlock(PASS);
		expect(await vault.get('a')).toBe(1);
	});

	it('refuses a weak passphrase with a reason', async () => {
		const { vault } = fresh();
		await vault.init();
		try {
			await vault.create('password1234');
			expect.unreachable();
		} catch (error) {
			expect(isVaultError(error, 'weak-passphrase')).toBe(true);
			expect((error as Error).message).toMatch(/common passwords|characters/);
		}
		expect(vault.status()).toBe('none');
	});

	it('never stores plaintext (canary)', async () => {
		const { name, vault } = await seeded();
		const raw = await rawValues(name);
		expect(raw).not.toContain(SECRET);
		expect(raw).not.toContain('line one');
		expect(raw).not.toContain(PASS);
		await vault.lock();
	});

	it('changing the passphrase re-wraps only the data key', async () => {
		const { name, vault } = await seeded();
		const store = idbVaultStore({ name });
		const before = await store.allRecords();
		const headerBefore = (await store.readHeader()) as { id: string; dek: { ct: string } };
		expect(await codeOf(vault.changePassphrase('not it at all, sorry', NEXT))).toBe('wrong-passphrase');
		await vault.changePassphrase(PASS, NEXT);
		const after = await store.allRecords();
		expect(after.map((r) => [r.name, Buffer.from(r.blob).toString('hex')])).toEqual(
			before.map((r) => [r.name, Buffer.from(r.blob).toString('hex')])
		);
		const headerAfter = (await store.readHeader()) as { id: string; dek: { ct: string } };
		expect(headerAfter.id).toBe(headerBefore.id);
		expect(headerAfter.dek.ct).not.toBe(headerBefore.dek.ct);
		await vault.lock();
		expect(await codeOf(vault.unlock(PASS))).toBe('wrong-passphrase');
		await vault.unlock(NEXT);
		expect(await vault.get('tokens/hetzner')).toEqual({ token: SECRET });
	});

	it('export → new browser → import gives identical data', async () => {
		const { vault } = await seeded();
		const data = await snapshot(vault);
		const exported = await vault.exportVault();
		expect(exported.fileName).toMatch(/^nassella-vault-\d{4}-\d{2}-\d{2}\.zip$/);
		expect((await vault.settings()).lastExportAt).toBeTypeOf('number');
		const bytes = new Uint8Array(await exported.file.arrayBuffer());
		expect(Buffer.from(bytes).includes(Buffer.from(SECRET))).toBe(false);
		expect(Buffer.from(bytes).includes(Buffer.from('tokens/hetzner'))).toBe(false);

		const other = fresh().vault;
		expect(await other.init()).toBe('none');
		expect(await codeOf(other.importVault(exported.file, NEXT))).toBe('wrong-passphrase');
		expect(other.status()).toBe('none');
		expect(await other.importVault(exported.file, PASS)).toEqual({ records: 3 });
		expect(other.status()).toBe('unlocked');
		expect(await snapshot(other)).toEqual(data);
		await other.lock();
		await other.unlock(PASS);
		expect(await snapshot(other)).toEqual(data);
	});

	describe('a hostile import leaves the vault untouched', () => {
		async function setup() {
			const source = await seeded();
			const file = (await source.vault.exportVault()).file;
			const entries = await zipArchive().read(file, { names: EXPORT_ENTRIES, ...IMPORT_LIMITS });
			const target = await seeded();
			await target.vault.put('only/here', 42);
			const before = await snapshot(target.vault);
			const check = async (zip: Uint8Array, code: VaultErrorCode, message?: RegExp) => {
				let caught: unknown;
				try {
					await target.vault.importVault(new Blob([zip as Uint8Array<ArrayBuffer>]), PASS);
				} catch (error) {
					caught = error;
				}
				expect(isVaultError(caught), String(caught)).toBe(true);
				expect((caught as { code: string }).code).toBe(code);
				if (message) expect((caught as Error).message).toMatch(message);
				expect((caught as Error).message).not.toContain(PASS);
				expect(target.vault.status()).toBe('unlocked');
				expect(await snapshot(target.vault)).toEqual(before);
			};
			const manifest = JSON.parse(fromUtf8(entries.get('manifest.json')!));
			const records = entries.get('records.bin')!;
			const zip = (m: unknown, r: Uint8Array = records) =>
				craftZip([
					{ name: 'manifest.json', data: utf8(JSON.stringify(m)) },
					{ name: 'records.bin', data: r }
				]);
			return { check, manifest, records, zip };
		}

		it('tampered records, manifest fields, versions and weakened KDF', async () => {
			const { check, manifest, records, zip } = await setup();
			for (const at of [0, 1, 30, records.length - 1]) {
				const bad = records.slice();
				bad[at]! ^= 0x20;
				await check(zip(manifest, bad), at === 0 ? 'unsupported-version' : 'tampered');
			}
			await check(zip({ ...manifest, recordCount: 2 }), 'tampered');
			await check(zip({ ...manifest, createdAt: '2020-01-01T00:00:00.000Z' }), 'tampered');
			const weak = { alg: 'argon2id13', m: 8 * 1024, t: 1, p: 1 };
			await check(
				zip({ ...manifest, kdf: weak, header: { ...manifest.header, kdf: { ...manifest.header.kdf, ...weak } } }),
				'weak-kdf',
				/weaker protection/
			);
			await check(zip({ ...manifest, kdf: { ...manifest.kdf, m: 19 * 1024, t: 2 } }), 'tampered');
			await check(zip({ ...manifest, formatVersion: 2 }), 'unsupported-version', /newer version/);
			await check(zip({ ...manifest, header: { ...manifest.header, v: 9 } }), 'unsupported-version');
			await check(zip({ ...manifest, extra: true }), 'import-refused');
			await check(zip({ ...manifest, format: 'something-else' }), 'import-refused');
		});

		it('zip bombs, traversal names and other wrong zips', async () => {
			const { check, manifest, records } = await setup();
			const m = { name: 'manifest.json', data: utf8(JSON.stringify(manifest)) };
			const r = { name: 'records.bin', data: records };
			await check(
				craftZip([m, r, { name: '../../evil.json', data: utf8('{}') }]),
				'import-refused',
				/outside its folder/
			);
			await check(
				craftZip([m, { name: 'records.bin', data: new Uint8Array(1_000_000), deflate: true }]),
				'import-refused',
				/zip bomb/
			);
			await check(craftZip([m, r, r]), 'import-refused', /twice/);
			await check(craftZip([m]), 'import-refused', /missing/);
			await check(utf8('not a zip'), 'import-refused', /not a readable zip/);
		});
	});

	it('two tabs: lock everywhere, writes bound to the vault, and import in one locks the other', async () => {
		const a = await seeded();
		const b = tab(a.name, a.channel);
		expect(await b.init()).toBe('locked');
		await b.unlock(PASS);
		await b.put('from/b', 'hello');
		expect(await a.vault.get('from/b')).toBe('hello');

		const changes: string[] = [];
		b.onChange((c) => changes.push(c.kind === 'status' ? c.status : c.kind));
		await a.vault.lock(true);
		await expect.poll(() => b.status()).toBe('locked');
		expect(changes).toContain('locked');

		await a.vault.unlock(PASS);
		await b.unlock(PASS);
		const other = await seeded();
		const file = (await other.vault.exportVault()).file;
		await a.vault.importVault(file, PASS);
		await expect.poll(() => b.status()).toBe('locked');
		// Even if the signal came late, a write from the old key is refused, not stored.
		const c = tab(a.name, 'elsewhere');
		await c.init();
		await c.unlock(PASS);
		await a.vault.importVault((await (await seeded()).vault.exportVault()).file, PASS);
		expect(await codeOf(c.put('late', 1))).toBe('replaced');
		expect(c.status()).toBe('locked');
		expect(await a.vault.list()).not.toContain('late');
	});
});
