/**
 * The vault in Chromium: the whole journey (create, lock, wrong and right passphrase,
 * change passphrase, export, wipe site data, import), hostile files refused with the
 * vault unchanged, two tabs, the idle lock, accessibility, and a canary that the secret
 * never shows up where it must not.
 */
import type { Page } from '@playwright/test';
import { craftZip } from '../vault/crafted-zip.ts';
import { expect, seriousA11yViolations, test } from './fixtures.ts';

const PASS = 'lantern quartz meadow 1987 ferry';
const NEXT = 'velvet anchor pistachio 2049 kite';
const SECRET = 'CANARY-7f3a9c-do-not-leak';
const NOTE = `My recovery code: ${SECRET}\nsecond line ✓`;

async function createVault(page: Page, passphrase = PASS) {
	await page.goto('/vault');
	await expect(page.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
	await page.getByLabel('Choose a passphrase', { exact: true }).fill(passphrase);
	await page.getByLabel('Type it again', { exact: true }).fill(passphrase);
	await page.getByRole('button', { name: 'Create vault' }).click();
	await expect(page.getByRole('heading', { name: 'Your vault is open' })).toBeVisible();
}

async function saveNote(page: Page, text: string) {
	const note = page.getByLabel('A note only you can read (kept encrypted)');
	await expect(note).toBeEnabled();
	await note.fill(text);
	await page.getByRole('button', { name: 'Save note' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Note saved (encrypted).' })).toBeVisible();
}

async function unlock(page: Page, passphrase: string) {
	await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
	await page.getByRole('button', { name: 'Unlock' }).click();
}

async function exportFile(page: Page): Promise<Buffer> {
	await navTo(page, 'Settings');
	const button = page.getByRole('button', { name: 'Export the vault' });
	const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
	expect(download.suggestedFilename()).toMatch(/^nassella-vault-\d{4}-\d{2}-\d{2}\.zip$/);
	const stream = await download.createReadStream();
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	await expect(page.getByText(/Last export: /)).not.toContainText('never');
	return Buffer.concat(chunks);
}

async function importFile(page: Page, file: Buffer | Uint8Array, passphrase: string, replacing: boolean) {
	await page
		.getByLabel('Export file', { exact: true })
		.setInputFiles({ name: 'export.zip', mimeType: 'application/zip', buffer: Buffer.from(file) });
	await page.getByLabel('The passphrase of that file', { exact: true }).fill(passphrase);
	if (replacing) await page.getByLabel('Replace everything in this vault with the file’s contents').check();
	await page.getByRole('button', { name: 'Import' }).click();
}

async function storedItems(page: Page): Promise<string[]> {
	return page.getByRole('region', { name: 'What is stored' }).getByRole('listitem').allTextContents();
}

/** Reads the two entries of an export (stored, not deflated) with a minimal zip parser. */
function entriesOf(zip: Buffer): Map<string, Buffer> {
	const out = new Map<string, Buffer>();
	const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
	let at = zip.readUInt32LE(end + 16);
	for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
		const size = zip.readUInt32LE(at + 20);
		const nameLength = zip.readUInt16LE(at + 28);
		const extra = zip.readUInt16LE(at + 30);
		const comment = zip.readUInt16LE(at + 32);
		const local = zip.readUInt32LE(at + 42);
		const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
		const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
		out.set(name, zip.subarray(dataAt, dataAt + size));
		at += 46 + nameLength + extra + comment;
	}
	return out;
}

test.describe('vault', () => {
	test('create → lock → wrong then right passphrase → change passphrase → export → wipe → import', async ({
		page,
		context,
		baseURL
	}) => {
		await createVault(page);
		await saveNote(page, NOTE);
		// The list is read again after the save is announced; wait for it rather than race it.
		const items = ['notes/personal'];
		await expect.poll(() => storedItems(page)).toEqual(items);

		await page.getByRole('button', { name: 'Lock now' }).click();
		await expect(page.getByRole('heading', { name: 'Unlock your vault' })).toBeFocused();

		await unlock(page, 'lantern quartz meadow 1987 ferr');
		await expect(page.getByRole('alert')).toContainText('That passphrase is not the right one.');
		await expect(page.getByLabel('Passphrase', { exact: true })).toHaveAttribute('aria-invalid', 'true');
		await expect(page.getByLabel('Passphrase', { exact: true })).toBeFocused();
		await unlock(page, PASS);
		await expect(page.getByRole('heading', { name: 'Your vault is open' })).toBeFocused();
		await expect(page.getByLabel('A note only you can read (kept encrypted)')).toHaveValue(NOTE);

		// Reloading locks.
		await page.reload();
		await expect(page.getByRole('heading', { name: 'Unlock your vault' })).toBeVisible();
		await unlock(page, PASS);
		await expect(page.getByRole('heading', { name: 'Your vault is open' })).toBeVisible();

		await navTo(page, 'Settings');
		await page.getByLabel('Current passphrase', { exact: true }).fill(PASS);
		await page.getByLabel('New passphrase', { exact: true }).fill(NEXT);
		await page.getByLabel('New passphrase again', { exact: true }).fill(NEXT);
		await page.getByRole('button', { name: 'Change passphrase' }).click();
		await expect(page.getByRole('status').filter({ hasText: 'Passphrase changed.' })).toBeVisible();

		const file = await exportFile(page);
		expect(file.includes(Buffer.from(SECRET))).toBe(false);

		// Wipe everything the site stored, as "Clear site data" does.
		const cdp = await context.newCDPSession(page);
		await cdp.send('Storage.clearDataForOrigin', { origin: new URL(baseURL!).origin, storageTypes: 'all' });
		await page.goto('/vault');
		await expect(page.getByRole('heading', { name: 'Create your vault' })).toBeVisible();

		await importFile(page, file, PASS, false);
		await expect(page.getByRole('alert')).toContainText('That passphrase is not the right one.');
		await importFile(page, file, NEXT, false);
		await expect(page.getByRole('heading', { name: 'Your vault is open' })).toBeVisible();
		await expect(page.getByLabel('A note only you can read (kept encrypted)')).toHaveValue(NOTE);
		await expect.poll(() => storedItems(page)).toEqual(items);

		await page.reload();
		await unlock(page, NEXT);
		await expect(page.getByLabel('A note only you can read (kept encrypted)')).toHaveValue(NOTE);
	});

	test('hostile files are refused with a clear message and the vault stays as it was', async ({ page }) => {
		await createVault(page);
		await saveNote(page, NOTE);
		const good = await exportFile(page);
		await navTo(page, 'Vault');
		await saveNote(page, 'changed after the export');

		const entries = entriesOf(good);
		const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
		const records = entries.get('records.bin')!;
		const zip = (
			m: unknown,
			r: Uint8Array = records,
			extra: { name: string; data: Uint8Array; deflate?: boolean }[] = []
		) =>
			craftZip([
				{ name: 'manifest.json', data: Buffer.from(JSON.stringify(m)) },
				{ name: 'records.bin', data: r },
				...extra
			]);

		const tampered = Buffer.from(records);
		tampered[tampered.length - 5]! ^= 0x01;
		const weak = { alg: 'argon2id13', m: 8192, t: 1, p: 1 };
		const cases: [string, Uint8Array, RegExp][] = [
			['tampered', zip(manifest, tampered), /changed or damaged/],
			[
				'zip bomb',
				craftZip([
					{ name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
					{ name: 'records.bin', data: new Uint8Array(1_000_000), deflate: true }
				]),
				/zip bomb/
			],
			[
				'path traversal',
				zip(manifest, records, [{ name: '../../.git/config', data: Buffer.from('x') }]),
				/points outside its folder/
			],
			[
				'weakened KDF',
				zip({ ...manifest, kdf: weak, header: { ...manifest.header, kdf: { ...manifest.header.kdf, ...weak } } }),
				/weaker protection/
			]
		];

		await navTo(page, 'Settings');
		for (const [name, file, message] of cases) {
			await importFile(page, file, PASS, true);
			await expect(page.getByRole('alert').filter({ hasText: message }), name).toBeVisible();
			await expect(page.getByRole('alert').filter({ hasText: message })).toContainText(
				'Your current data was not changed'
			);
		}
		await navTo(page, 'Vault');
		await expect(page.getByLabel('A note only you can read (kept encrypted)')).toHaveValue('changed after the export');
	});

	test('two tabs: a write in one shows in the other; locking locks both', async ({ page, context }) => {
		await createVault(page);
		const other = await context.newPage();
		await other.goto('/vault');
		await expect(other.getByRole('heading', { name: 'Unlock your vault' })).toBeVisible();
		await unlock(other, PASS);
		await expect(other.getByRole('heading', { name: 'Your vault is open' })).toBeVisible();

		await saveNote(page, 'written in the first tab');
		await expect(other.getByLabel('A note only you can read (kept encrypted)')).toHaveValue('written in the first tab');
		await saveNote(other, 'then in the second');
		await page.reload();
		await unlock(page, PASS);
		await expect(page.getByLabel('A note only you can read (kept encrypted)')).toHaveValue('then in the second');

		await page.getByRole('button', { name: 'Lock now' }).click();
		await expect(other.getByRole('heading', { name: 'Unlock your vault' })).toBeVisible();
		await other.close();
	});

	test('locks itself after 15 minutes without use, or the time chosen in Settings', async ({ page }) => {
		await page.clock.install();
		await createVault(page);
		await page.clock.fastForward('14:00');
		await expect(page.getByRole('heading', { name: 'Your vault is open' })).toBeVisible();
		await page.clock.fastForward('01:30');
		await expect(page.getByRole('heading', { name: 'Unlock your vault' })).toBeVisible();
		await expect(page.getByRole('status')).toContainText('Locked after a while without use.');

		// The time is a setting, kept across reloads.
		await unlock(page, PASS);
		await navTo(page, 'Settings');
		await page.getByLabel('Lock after this long without use').selectOption({ label: '5 minutes' });
		await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
		await page.clock.fastForward('05:30');
		await expect(page.getByText('The vault is locked.')).toBeVisible();
		await page.reload();
		await navTo(page, 'Vault');
		await unlock(page, PASS);
		await expect(page.getByText('It locks itself after 5 minutes without use')).toBeVisible();
	});

	test('weak passphrases are refused with a reason', async ({ page }) => {
		await page.goto('/vault');
		await page.getByLabel('Choose a passphrase', { exact: true }).fill('password1234');
		await expect(page.locator('#new-passphrase-strength')).toContainText('common passwords');
		await page.getByLabel('Type it again', { exact: true }).fill('password1234');
		await page.getByRole('button', { name: 'Create vault' }).click();
		await expect(page.getByRole('alert')).toContainText('common passwords');
		await expect(page.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
	});

	test('no serious accessibility problems in any state', async ({ page }) => {
		await page.goto('/vault');
		await expect(page.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
		await page.getByLabel('Choose a passphrase', { exact: true }).fill('short');
		expect(await seriousA11yViolations(page), 'create').toEqual([]);
		await createVault(page);
		await saveNote(page, 'hello');
		expect(await seriousA11yViolations(page), 'open').toEqual([]);
		await navTo(page, 'Settings');
		await expect(page.getByRole('button', { name: 'Export the vault' })).toBeVisible();
		expect(await seriousA11yViolations(page), 'settings').toEqual([]);
		await page.emulateMedia({ colorScheme: 'dark' });
		expect(await seriousA11yViolations(page), 'settings, dark').toEqual([]);
		await navTo(page, 'Vault');
		await page.getByRole('button', { name: 'Lock now' }).click();
		await unlock(page, 'wrong wrong wrong wrong');
		await expect(page.getByRole('alert')).toBeVisible();
		expect(await seriousA11yViolations(page), 'locked with an error, dark').toEqual([]);
	});

	test('canary: the secret never appears in storage, URLs, the console or messages', async ({ page }) => {
		const seen: string[] = [];
		page.on('console', (m) => seen.push(`console: ${m.text()}`));
		page.on('pageerror', (e) => seen.push(`error: ${e.message}`));
		page.on('request', (r) => seen.push(`url: ${r.url()}`));
		page.on('framenavigated', (f) => seen.push(`nav: ${f.url()}`));

		await createVault(page);
		await saveNote(page, NOTE);
		await page.getByRole('button', { name: 'Lock now' }).click();
		await unlock(page, PASS.toUpperCase());
		await expect(page.getByRole('alert')).toBeVisible();
		const messages = await page.getByRole('alert').allTextContents();
		await unlock(page, PASS);
		await expect(page.getByLabel('A note only you can read (kept encrypted)')).toHaveValue(NOTE);
		await exportFile(page);

		const stored = await page.evaluate(async () => {
			const toText = (value: unknown): string =>
				JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? String.fromCharCode(...v) : v));
			const out: string[] = [];
			for (const info of await indexedDB.databases()) {
				const db = await new Promise<IDBDatabase>((resolve, reject) => {
					const open = indexedDB.open(info.name!);
					open.onsuccess = () => resolve(open.result);
					open.onerror = () => reject(open.error);
				});
				for (const store of Array.from(db.objectStoreNames)) {
					const all = await new Promise<unknown[]>((resolve) => {
						const req = db.transaction(store).objectStore(store).getAll();
						req.onsuccess = () => resolve(req.result);
					});
					out.push(...all.map(toText));
				}
				db.close();
			}
			for (let i = 0; i < localStorage.length; i++) out.push(localStorage.getItem(localStorage.key(i)!) ?? '');
			for (let i = 0; i < sessionStorage.length; i++) out.push(sessionStorage.getItem(sessionStorage.key(i)!) ?? '');
			return out;
		});
		expect(stored.join('\n')).toContain('nassella-vault');
		const haystack = [...stored, ...seen, ...messages, page.url()].join('\n');
		for (const needle of [SECRET, PASS, 'recovery code']) expect(haystack).not.toContain(needle);
	});
});

/** In-app navigation (a full page load would lock the vault, as a reload does). */
async function navTo(page: Page, label: 'Settings' | 'Vault') {
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
	await expect(
		page.getByRole('heading', { level: 1, name: label === 'Vault' ? 'Your vault' : 'Settings' })
	).toBeVisible();
}
