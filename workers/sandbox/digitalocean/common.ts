/** What the resources of the DigitalOcean fake share: its state and ids, errors and paged lists. */
import type { FakeApi, FakeRequest, FakeResponse, Route } from '../kit.ts';
import { getByIdRoute, listRoute, type Items } from '../routes.ts';
import { digitalOceanDialect } from './dialect.ts';
import type { DnsRecord } from './domains.ts';
import type { Droplet } from './droplets.ts';
import type { Firewall } from './firewalls.ts';
import type { Image } from './images.ts';
import type { Key } from './ssh-keys.ts';
import type { Volume } from './volumes.ts';

export interface DigitalOceanState {
	images: Image[];
	droplets: Droplet[];
	volumes: Volume[];
	firewalls: Firewall[];
	keys: Key[];
	domains: Map<string, DnsRecord[]>;
	/** Tags made with POST /v2/tags (a tag also exists while a droplet, volume or image carries it). */
	tags: Set<string>;
}

/** One fake's API, state and settings, handed to each resource's routes. */
export interface DigitalOceanContext {
	api: FakeApi;
	state: DigitalOceanState;
	importMs: number;
	bootMs: number;
	dropletLimit: number;
	/** Droplets run the metrics agent, installed by hand (see `Droplet.agent`). */
	metricsAgent: boolean;
	/** The next id, shared by every kind of resource that has a numeric id. */
	newId(): number;
}

export const err = (status: number, id: string, message: string): FakeResponse => ({
	status,
	body: digitalOceanDialect.error(status, id, message)
});
export const notFound = () => err(404, 'not_found', 'The resource you were accessing could not be found.');
export const page = <T>(req: FakeRequest, key: string, items: T[]): FakeResponse => {
	const per = Number(req.query.get('per_page') ?? 20);
	const p = Number(req.query.get('page') ?? 1);
	const slice = items.slice((p - 1) * per, p * per);
	const next = p * per < items.length;
	const pages: Record<string, string> = {};
	if (next) {
		const u = new URLSearchParams(req.query);
		u.set('page', String(p + 1));
		pages.next = `https://api.digitalocean.com${req.path}?${u}`;
		pages.last = `https://api.digitalocean.com${req.path}?page=${Math.ceil(items.length / per)}`;
	}
	return { status: 200, body: { [key]: slice, links: { pages }, meta: { total: items.length } } };
};
export const tagged = (tags: string[], req: FakeRequest) => {
	const t = req.query.get('tag_name');
	return !t || tags.includes(t);
};
/** GET a list as DigitalOcean pages it. */
export const listOf = <T>(key: string, items: Items<T>, view?: (item: T) => unknown): Route =>
	listRoute(page, key, items, view);
/** GET one resource by its id, or DigitalOcean's not-found answer. */
export const getById = <T extends { id: string | number }>(
	key: string,
	items: () => readonly T[],
	view: (item: T) => unknown
): Route => getByIdRoute(notFound, key, items, view);
