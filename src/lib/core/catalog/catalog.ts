/** Rules for the catalog as a whole, and lookups the UI uses. Pure. */
import type { AppManifest, Category } from './types.ts';
import { CATEGORIES } from './types.ts';

/** Clashes between apps: ids, service names, default subdomains. Empty when there are none. */
export function checkCatalog(apps: readonly AppManifest[]): string[] {
	const problems: string[] = [];
	const seen = new Map<string, string>();
	const claim = (kind: string, key: string, owner: string) => {
		const other = seen.get(`${kind}:${key}`);
		if (other && other !== owner) problems.push(`${owner}: ${kind} "${key}" is also used by ${other}`);
		else seen.set(`${kind}:${key}`, owner);
	};
	const ids = new Set<string>();
	for (const app of apps) {
		if (ids.has(app.id)) problems.push(`${app.id}: the id is used twice`);
		ids.add(app.id);
		for (const name of Object.keys(app.services)) claim('service name', name, app.id);
		for (const e of app.entrypoints) claim('subdomain', e.subdomain, app.id);
	}
	return problems;
}

/** Apps matching a search text (name, tagline, description, category) and category; order kept. */
export function searchApps<T extends Searchable>(apps: readonly T[], text: string, category?: Category | ''): T[] {
	const words = text.toLowerCase().split(/\s+/).filter(Boolean);
	return apps.filter((app) => {
		if (category && app.category !== category) return false;
		const hay = `${app.name} ${app.tagline} ${app.description ?? ''} ${app.category ?? ''} ${app.id}`.toLowerCase();
		return words.every((w) => hay.includes(w));
	});
}

/** What a search looks at: the catalog's apps, and the wizard's shorter view of them. */
type Searchable = Pick<AppManifest, 'id' | 'name' | 'tagline'> & Partial<Pick<AppManifest, 'description' | 'category'>>;

/** Categories that have at least one app, in the catalog's fixed order. */
export function usedCategories(apps: readonly Partial<Pick<AppManifest, 'category'>>[]): Category[] {
	const used = new Set(apps.map((a) => a.category));
	return CATEGORIES.filter((c) => used.has(c));
}
