import { beforeEach, describe, expect, it } from 'vitest';
import { CatalogState, iconUrl } from './catalog.svelte.ts';

class MemoryStorage {
	#items = new Map<string, string>();
	getItem(k: string) {
		return this.#items.get(k) ?? null;
	}
	setItem(k: string, v: string) {
		this.#items.set(k, String(v));
	}
	removeItem(k: string) {
		this.#items.delete(k);
	}
}

beforeEach(() => {
	(globalThis as { sessionStorage?: unknown }).sessionStorage = new MemoryStorage();
});

describe('catalog state', () => {
	it('loads the bundled catalog, searches and filters', async () => {
		const c = new CatalogState();
		await c.load();
		expect(c.loaded).toBe(true);
		expect(c.apps).toHaveLength(30);
		c.query = 'password';
		expect(c.results.map((a) => a.id)).toContain('vaultwarden');
		c.query = '';
		c.category = 'media';
		expect(c.results.every((a) => a.category === 'media')).toBe(true);
		expect(c.categories).toContain('media');
	});
	it('keeps the selection and server size for the session, and drops ids no longer in the catalog', async () => {
		const c = new CatalogState();
		await c.load();
		c.toggle('miniflux');
		c.toggle('immich');
		c.setSize('1gb');
		expect(c.fit.verdict).toBe('wont-fit');
		c.toggle('immich');
		expect(c.selected).toEqual(['miniflux']);
		// Miniflux alone runs on 1 GB, but the system's recommended share leaves it little room.
		expect(c.fit.verdict).toBe('tight');

		sessionStorage.setItem(
			'nassella.catalog.selection',
			JSON.stringify({ selected: ['miniflux', 'gone-app', 42], sizeId: '1gb' })
		);
		const again = new CatalogState();
		await again.load();
		expect(again.selected).toEqual(['miniflux']);
		expect(again.size.id).toBe('1gb');
	});
	it('survives a damaged or unknown stored value', () => {
		sessionStorage.setItem('nassella.catalog.selection', '{not json');
		expect(new CatalogState().selected).toEqual([]);
		sessionStorage.setItem('nassella.catalog.selection', JSON.stringify({ sizeId: 'huge' }));
		expect(new CatalogState().size.id).toBe('2gb');
	});
	it('makes data: URLs for icons', () => {
		expect(iconUrl({ iconSvg: '<svg a="b"/>' })).toBe('data:image/svg+xml;charset=utf-8,%3Csvg%20a%3D%22b%22%2F%3E');
	});
});
