/**
 * The restore drill: the app commits a new drill id (`requests.json`); the server restores
 * the newest snapshot into a throwaway place, checks it and reports in
 * `status.requests.drill`. The app keeps what it asked and what came back in the vault
 * (`drill/<deployment id>`), so the monthly reminder knows when the last drill passed.
 */
import { PlainError, ProviderError } from '../../core/errors.ts';
import type { DrillReport, ServerStatus } from '../../core/server/status.ts';
import type { Clock } from '../../ports/deploy.ts';
import type { GitHost, RepoRef } from '../../ports/git-host.ts';
import type { ServerLink } from '../../ports/server.ts';
import type { MoveArtifacts } from './steps.ts';
import type { DrillRecord } from '../../core/deploy/stored.ts';

export type { DrillRecord };

export const DRILL_EVERY_MS = 30 * 24 * 60 * 60_000;

export interface DrillStore {
	load(deploymentId: string): Promise<DrillRecord | undefined>;
	save(deploymentId: string, record: DrillRecord): Promise<void>;
}

export interface DrillPorts {
	git: GitHost;
	repo: RepoRef;
	artifacts: Pick<MoveArtifacts, 'bundle' | 'sign'>;
	link: ServerLink;
	clock: Clock;
	store: DrillStore;
	/** A short random id part (letters and digits). */
	randomId(): string;
}

/** Pure: whether the reminder shows (no drill ever passed, or the last one is older than 30 days). */
export function drillDue(record: DrillRecord | undefined, now: number): boolean {
	const last = record?.last;
	if (!last || !last.ok) return true;
	return now - last.at > DRILL_EVERY_MS;
}

/** Pure: what the server reported for our request, if anything yet. */
export function drillOutcome(status: ServerStatus, requestId: string): DrillReport | undefined {
	const r = status.requests?.drill;
	return r && r.id === requestId ? r : undefined;
}

/** Commits a new drill request; returns its id. */
export async function requestDrill(ports: DrillPorts, deploymentId: string): Promise<string> {
	const id = `drill-${ports.randomId()}`;
	const record = (await ports.store.load(deploymentId)) ?? {};
	// Stored first: a closed tab still knows which answer to wait for.
	await ports.store.save(deploymentId, { ...record, requestId: id, requestedAt: ports.clock.now() });
	const parent = await ports.git.head(ports.repo);
	const files = await ports.artifacts.bundle({ repo: ports.repo, requests: { drill: id } });
	await ports.git.commit(
		ports.repo,
		files,
		'Restore drill: check that the newest backup restores',
		parent,
		ports.artifacts.sign
	);
	return id;
}

/**
 * Waits for the server's answer to the pending drill (bounded by `timeoutMs`) and stores
 * the result. Throws ProviderError('network') when no answer came in time (ask again later).
 */
export async function awaitDrill(
	ports: DrillPorts,
	deploymentId: string,
	options: { pollMs: number; timeoutMs: number; signal?: AbortSignal }
): Promise<NonNullable<DrillRecord['last']>> {
	const record = (await ports.store.load(deploymentId)) ?? {};
	const id = record.requestId;
	if (!id) throw new PlainError('No restore drill was asked for.', 'Start a restore drill first.', 'not-found');
	const deadline = ports.clock.now() + options.timeoutMs;
	for (;;) {
		let report: DrillReport | undefined;
		try {
			report = drillOutcome(await ports.link.status(options.signal), id);
		} catch (e) {
			if (options.signal?.aborted) throw e;
		}
		if (report && report.state !== 'running') {
			const last = {
				id,
				at: ports.clock.now(),
				ok: report.state === 'done',
				...(report.snapshot ? { snapshot: report.snapshot } : {}),
				...(report.files !== undefined ? { files: report.files } : {}),
				...(report.error ? { error: report.error } : {})
			};
			await ports.store.save(deploymentId, { ...record, last });
			return last;
		}
		if (ports.clock.now() >= deadline)
			throw new ProviderError({
				code: 'network',
				provider: 'your server',
				message: 'The server has not reported the drill yet.',
				action: 'It picks up new settings every few minutes. Look again later; the answer is kept.'
			});
		await ports.clock.sleep(options.pollMs, options.signal);
	}
}
