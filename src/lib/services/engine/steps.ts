/**
 * Pieces every operation's steps share: reading what an earlier step handed on, waiting
 * for a new server's address, and waiting until every app answers on its name.
 */
import { ProviderError } from '../../core/errors.ts';
import type { CloudProvider } from '../../ports/cloud.ts';
import type { AppProbe, Clock } from '../../ports/deploy.ts';

type Outputs = Record<string, unknown>;

/** What step `step` handed on; a later step runs only after it, so a missing one is a bug. */
export function outputOf<O extends Outputs>(
	steps: Partial<Record<string, { output?: O } | undefined>>,
	step: string
): O {
	const o = steps[step]?.output;
	if (!o) throw new Error(`Step ${step} has no result yet.`);
	return o;
}

/** A text field of a step's output that must be there. */
export function text(o: Outputs, key: string): string {
	const v = o[key];
	if (typeof v !== 'string') throw new Error(`Missing ${key}.`);
	return v;
}

/** A text field of a step's output that may be missing (or null). */
export function optionalText(o: Outputs, key: string): string | undefined {
	const v = o[key];
	return typeof v === 'string' ? v : undefined;
}

/** Waits until the server runs and has an address; "no address yet" is retried by the engine. */
export async function waitForAddress(
	cloud: CloudProvider,
	serverId: string,
	signal: AbortSignal,
	noAddress: string
): Promise<{ ipv4: string | null; ipv6: string | null }> {
	const server = await cloud.waitForServer(serverId, undefined, signal);
	if (!server.ipv4 && !server.ipv6)
		throw new ProviderError({
			code: 'unavailable',
			provider: cloud.displayName,
			message: noAddress,
			action: 'nassella tries again by itself.'
		});
	return { ipv4: server.ipv4 ?? null, ipv6: server.ipv6 ?? null };
}

/** Asks `probe` about every name, every `intervalMs`, until all answer; `late(fqdn)` after `timeoutMs`. */
export async function waitUntilAnswering(
	ports: { probe: AppProbe; clock: Clock },
	fqdns: readonly string[],
	server: { ipv4?: string; ipv6?: string },
	timing: { intervalMs: number; timeoutMs: number },
	signal: AbortSignal,
	late: (fqdn: string) => Error
): Promise<void> {
	const deadline = ports.clock.now() + timing.timeoutMs;
	await Promise.all(
		fqdns.map(async (fqdn) => {
			for (;;) {
				if (await ports.probe.answers(fqdn, server)) return;
				if (ports.clock.now() >= deadline) throw late(fqdn);
				await ports.clock.sleep(timing.intervalMs, signal);
			}
		})
	);
}
