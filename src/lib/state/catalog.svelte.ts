/**
 * The catalog page's state: the apps (loaded on demand from the bundled, build-time-validated
 * catalog), search and category filter, the person's selection and the server size to fit.
 * The selection holds app ids only (no secrets); it lives in sessionStorage until the setup
 * wizard stores it in the vault.
 */
import type { CatalogApp, Category } from '$lib/core/catalog/types';
import { searchApps, usedCategories } from '$lib/core/catalog/catalog';
import { TYPICAL_SIZES, fitApps, type Fit, type ServerSize } from '$lib/core/catalog/fit';

const KEY = 'nassella.catalog.selection';

interface Stored {
	selected: string[];
	sizeId: string;
}

function readStored(): Stored {
	try {
		const raw = globalThis.sessionStorage?.getItem(KEY);
		const parsed = raw ? (JSON.parse(raw) as Partial<Stored>) : {};
		return {
			selected: Array.isArray(parsed.selected) ? parsed.selected.filter((x): x is string => typeof x === 'string') : [],
			sizeId: typeof parsed.sizeId === 'string' ? parsed.sizeId : '2gb'
		};
	} catch {
		return { selected: [], sizeId: '2gb' };
	}
}

export class CatalogState {
	apps = $state<CatalogApp[]>([]);
	loaded = $state(false);
	error = $state('');
	query = $state('');
	category = $state<Category | ''>('');
	selected = $state<string[]>([]);
	sizeId = $state('2gb');
	readonly sizes: readonly ServerSize[] = TYPICAL_SIZES;

	constructor() {
		const stored = readStored();
		this.selected = stored.selected;
		this.sizeId = TYPICAL_SIZES.some((s) => s.id === stored.sizeId) ? stored.sizeId : '2gb';
	}

	/** Loads the catalog chunk (once). */
	async load(): Promise<void> {
		if (this.loaded) return;
		try {
			const mod = await import('virtual:nassella-catalog');
			this.apps = mod.default;
			const known = this.apps.map((a) => a.id);
			this.selected = this.selected.filter((id) => known.includes(id));
			this.loaded = true;
		} catch {
			this.error = 'The app list could not be loaded. Reload the page to try again.';
		}
	}

	get categories(): Category[] {
		return usedCategories(this.apps);
	}

	get results(): CatalogApp[] {
		return searchApps(this.apps, this.query, this.category);
	}

	get selectedApps(): CatalogApp[] {
		return this.apps.filter((a) => this.selected.includes(a.id));
	}

	get size(): ServerSize {
		return this.sizes.find((s) => s.id === this.sizeId) ?? this.sizes[1]!;
	}

	get fit(): Fit {
		return fitApps(this.selectedApps, this.size);
	}

	app(id: string): CatalogApp | undefined {
		return this.apps.find((a) => a.id === id);
	}

	isSelected(id: string): boolean {
		return this.selected.includes(id);
	}

	toggle(id: string): void {
		this.selected = this.isSelected(id) ? this.selected.filter((x) => x !== id) : [...this.selected, id];
		this.save();
	}

	setSize(id: string): void {
		if (this.sizes.some((s) => s.id === id)) this.sizeId = id;
		this.save();
	}

	private save(): void {
		try {
			globalThis.sessionStorage?.setItem(KEY, JSON.stringify({ selected: this.selected, sizeId: this.sizeId }));
		} catch {
			// Private browsing may refuse storage; the selection still works for this page.
		}
	}
}

let shared: CatalogState | undefined;
/** One catalog state for the app-list and app pages. */
export function catalogState(): CatalogState {
	shared ??= new CatalogState();
	return shared;
}

/** The icon as an image URL (a data: URL; the CSP allows data: images only). */
export function iconUrl(app: Pick<CatalogApp, 'iconSvg'>): string {
	return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(app.iconSvg)}`;
}
