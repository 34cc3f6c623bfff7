/**
 * Route shapes the REST fakes share: a paged list and one resource by its id. Each provider
 * passes its own pager and its own not-found answer (common.ts beside its routes), so the
 * answers keep each provider's form.
 */
import type { FakeRequest, FakeResponse, Route } from './kit.ts';

/** Pages a list as one provider does, under `key` in the answer. */
export type Pager = (req: FakeRequest, key: string, items: unknown[]) => FakeResponse;

/** What a route reads: a fixed list, or the list for this request. */
export type Items<T> = readonly T[] | ((req: FakeRequest) => readonly T[]);

/** One collection of a fake's state, read anew on each request (a deletion replaces the array). */
export function from<S, K extends keyof S>(state: S, name: K): () => S[K] {
	return () => state[name];
}

/** GET a list: the items for this request, each shown by `view`, paged by `pager`. */
export function listRoute<T>(
	pager: Pager,
	key: string,
	items: Items<T>,
	view: (item: T) => unknown = (item) => item
): Route {
	return (req) => pager(req, key, (typeof items === 'function' ? items(req) : items).map(view));
}

/** GET one resource by the id in its path (the first parameter), shown by `view` under `key`. */
export function getByIdRoute<T extends { id: string | number }>(
	notFound: () => FakeResponse,
	key: string,
	items: () => readonly T[],
	view: (item: T) => unknown
): Route {
	return (req) => {
		const item = items().find((x) => String(x.id) === req.params[0]);
		return item ? { status: 200, body: { [key]: view(item) } } : notFound();
	};
}
