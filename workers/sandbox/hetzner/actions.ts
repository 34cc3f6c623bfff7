/** Hetzner actions: the asynchronous work behind a change, done after a set time. */
import { iso } from '../kit.ts';
import { getById, now, type HetznerContext } from './common.ts';
import { from } from '../routes.ts';

export interface Action {
	id: number;
	command: string;
	resources: { id: number; type: string }[];
	started: number;
	doneAt: number;
}

export const actionView = (a: Action) => {
	const done = now() >= a.doneAt;
	return {
		id: a.id,
		command: a.command,
		status: done ? 'success' : 'running',
		progress: done ? 100 : 50,
		started: iso(a.started),
		finished: done ? iso(a.doneAt) : null,
		resources: a.resources,
		error: null
	};
};

export function actionRoutes(ctx: HetznerContext): void {
	const { api, state } = ctx;
	api.on('GET', '/v1/actions/:id', getById('action', from(state, 'actions'), actionView));
}
