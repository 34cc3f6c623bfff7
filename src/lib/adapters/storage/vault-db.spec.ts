import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { isVaultError } from '../../core/vault/errors.ts';
import type { VaultHeader } from '../../core/vault/envelope.ts';
import { DB_VERSION, UPGRADES, idbVaultStore, openVaultDb } from './vault-db.ts';

let n = 0;
const fresh = () => `vault-test-${++n}-${Math.random().toString(36).slice(2)}`;
const header = (id: string) => ({ format: 'nassella-vault', v: 1, id }) as unknown as VaultHeader;
const blob = (...bytes: number[]) => Uint8Array.from(bytes);

describe('vault database schema', () => {
	it('has one upgrade function per version', () => {
		expect(UPGRADES).toHaveLength(DB_VERSION);
	});

	it('creates the current schema from nothing', async () => {
		const db = await openVaultDb({ name: fresh() });
		expect([...db.objectStoreNames].sort()).toEqual(['meta', 'records', 'settings']);
		db.close();
	});

	it('upgrades a version 1 database without losing anything', async () => {
		const name = fresh();
		const v1 = await openVaultDb({ name, version: 1 });
		expect([...v1.objectStoreNames].sort()).toEqual(['meta', 'records']);
		await v1.put('meta', header('AAAA'), 'header');
		await v1.put('meta', 1_700_000_000_000, 'lastExportAt');
		await v1.put('records', { name: 'tokens/hetzner', blob: blob(1, 2, 3), updatedAt: 5 });
		await v1.put('records', { name: 'deployment/a', blob: blob(4), updatedAt: 6 });
		v1.close();

		const store = idbVaultStore({ name });
		expect(await store.readHeader()).toEqual(header('AAAA'));
		expect(await store.listRecords()).toEqual(['deployment/a', 'tokens/hetzner']);
		expect((await store.getRecord('tokens/hetzner'))?.blob).toEqual(blob(1, 2, 3));
		expect(await store.getSettings()).toEqual({ idleMinutes: 15, lastExportAt: 1_700_000_000_000 });

		const db = await openVaultDb({ name });
		expect(db.version).toBe(DB_VERSION);
		expect(await db.get('meta', 'lastExportAt')).toBeUndefined();
		db.close();
	});

	it('an open older tab closes its connection so a newer one can upgrade', async () => {
		const name = fresh();
		let closed = 0;
		const old = await openVaultDb({ name, version: 1, onClosed: () => closed++ });
		const current = await openVaultDb({ name });
		expect(current.version).toBe(DB_VERSION);
		expect(closed).toBe(1);
		old.close();
		current.close();
	});
});

describe('vault store', () => {
	it('creates the header once; a second create (another tab) is refused', async () => {
		const name = fresh();
		const a = idbVaultStore({ name });
		const b = idbVaultStore({ name });
		await a.createHeader(header('one'));
		await expect(b.createHeader(header('two'))).rejects.toSatisfy((e) => isVaultError(e, 'exists'));
		expect(await b.readHeader()).toEqual(header('one'));
	});

	it('writes records only to the vault they were encrypted for', async () => {
		const name = fresh();
		const store = idbVaultStore({ name });
		await store.createHeader(header('one'));
		await store.putRecord('one', { name: 'a', blob: blob(1), updatedAt: 1 });
		await store.replaceAll(header('two'), [{ name: 'b', blob: blob(2), updatedAt: 2 }]);
		await expect(store.putRecord('one', { name: 'a', blob: blob(9), updatedAt: 3 })).rejects.toSatisfy((e) =>
			isVaultError(e, 'replaced')
		);
		await expect(store.replaceHeader('one', header('one'))).rejects.toSatisfy((e) => isVaultError(e, 'replaced'));
		expect(await store.listRecords()).toEqual(['b']);
		expect((await store.getSettings()).lastChangeAt).toBeTypeOf('number');
	});

	it('replaces everything at once, or nothing when the write fails', async () => {
		const name = fresh();
		const store = idbVaultStore({ name });
		await store.createHeader(header('one'));
		await store.putRecord('one', { name: 'keep', blob: blob(1), updatedAt: 1 });
		// A value IndexedDB cannot store (a function) makes the transaction fail half-way.
		const unstorable = (() => {}) as unknown as Uint8Array;
		await expect(
			store.replaceAll(header('two'), [
				{ name: 'new', blob: blob(3), updatedAt: 3 },
				{ name: 'x', blob: unstorable, updatedAt: 2 }
			])
		).rejects.toSatisfy((e) => isVaultError(e, 'storage'));
		expect(await store.readHeader()).toEqual(header('one'));
		expect(await store.listRecords()).toEqual(['keep']);
	});

	it('keeps settings', async () => {
		const store = idbVaultStore({ name: fresh() });
		expect(await store.getSettings()).toEqual({ idleMinutes: 15 });
		expect(await store.updateSettings({ idleMinutes: 5, lastExportAt: 10 })).toEqual({
			idleMinutes: 5,
			lastExportAt: 10
		});
	});
});
