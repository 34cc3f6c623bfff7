/** What the resources of the Hetzner fake share: its state, ids and actions, errors, paged lists and label checks. */
import type { FakeApi, FakeRequest, FakeResponse, Route } from '../kit.ts';
import { getByIdRoute, listRoute, type Items } from '../routes.ts';
import type { Action } from './actions.ts';
import type { Firewall } from './firewalls.ts';
import type { Image } from './images.ts';
import { matchesSelector, type LabelMap } from './labels.ts';
import type { Server } from './servers.ts';
import type { Key } from './ssh-keys.ts';
import type { Volume } from './volumes.ts';
import type { Zone } from './zones.ts';
import type { HetznerFakeOptions } from './fake.ts';

export interface HetznerState {
	actions: Action[];
	servers: Server[];
	images: Image[];
	keys: Key[];
	volumes: Volume[];
	firewalls: Firewall[];
	zones: Zone[];
}

/** One fake's API, state and settings, handed to each resource's routes. */
export interface HetznerContext {
	api: FakeApi;
	state: HetznerState;
	options: HetznerFakeOptions;
	bootMs: number;
	builderMs: number;
	snapshotMs: number;
	serverLimit: number;
	/** The next id, shared by every kind of resource. */
	newId(): number;
	/** Records an action that finishes after `ms` (the fake's action time by default). */
	action(command: string, resources: { id: number; type: string }[], ms?: number): Action;
}

export const now = () => Date.now();
export const err = (status: number, code: string, message: string): FakeResponse => ({
	status,
	body: { error: { code, message, details: {} } }
});
export const notFound = () => err(404, 'not_found', 'resource not found');
export const pagination = (req: FakeRequest, items: unknown[]) => {
	const per = Math.min(50, Number(req.query.get('per_page') ?? 25));
	const p = Number(req.query.get('page') ?? 1);
	const last = Math.max(1, Math.ceil(items.length / per));
	return {
		items: items.slice((p - 1) * per, p * per),
		meta: {
			pagination: {
				page: p,
				per_page: per,
				previous_page: p > 1 ? p - 1 : null,
				next_page: p < last ? p + 1 : null,
				last_page: last,
				total_entries: items.length
			}
		}
	};
};
export const list = (req: FakeRequest, key: string, items: unknown[]): FakeResponse => {
	const { items: slice, meta } = pagination(req, items);
	return { status: 200, body: { [key]: slice, meta } };
};
export const select = <T extends { labels: LabelMap; name?: string }>(req: FakeRequest, items: T[]) => {
	const selector = req.query.get('label_selector');
	const name = req.query.get('name');
	return items.filter((i) => (!selector || matchesSelector(i.labels, selector)) && (!name || i.name === name));
};
export const selectorError = (req: FakeRequest): FakeResponse | undefined => {
	const s = req.query.get('label_selector');
	if (!s) return undefined;
	try {
		matchesSelector({}, s);
		return undefined;
	} catch {
		return err(400, 'invalid_input', 'invalid label_selector');
	}
};
export const validLabels = (labels: LabelMap | undefined) =>
	Object.entries(labels ?? {}).every(
		([k, v]) =>
			/^([a-z0-9.-]+\/)?[A-Za-z0-9]([\w.-]{0,61}[A-Za-z0-9])?$/.test(k) &&
			/^([A-Za-z0-9]([\w.-]{0,61}[A-Za-z0-9])?)?$/.test(v)
	);
/** GET a list as Hetzner pages it. */
export const listOf = <T>(key: string, items: Items<T>, view?: (item: T) => unknown): Route =>
	listRoute(list, key, items, view);
/** GET a list of labelled resources: a bad label_selector is refused, the rest filtered by labels and name. */
export const labelledList = <T extends { labels: LabelMap; name?: string }>(
	key: string,
	items: (req: FakeRequest) => T[],
	view: (item: T) => unknown
): Route => {
	const route = listOf(key, (req: FakeRequest) => select(req, items(req)), view);
	return (req) => selectorError(req) ?? route(req);
};
/** GET one resource by its id, or Hetzner's not-found answer. */
export const getById = <T extends { id: number }>(
	key: string,
	items: () => readonly T[],
	view: (item: T) => unknown
): Route => getByIdRoute(notFound, key, items, view);
