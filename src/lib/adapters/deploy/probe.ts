/**
 * Is an app reachable yet? Asks DNS-over-HTTPS resolvers whether the app's address points
 * at the server (in the sandbox, the local stand-in that answers from the sandbox DNS
 * providers), then the server itself, through its status report, whether every app runs.
 */
import { isProviderError, ProviderError } from '../../core/errors.ts';
import { allHealthy, failedWith, StatusFormatError, type ServerStatus } from '../../core/server/status.ts';
import type { AppProbe } from '../../ports/deploy.ts';
import type { ServerLink } from '../../ports/server.ts';
import type { HttpClient } from '../../ports/http.ts';
import { resolve, type DohEndpoint } from '../doh/propagation.ts';

export function dohProbe(endpoints: readonly DohEndpoint[], http?: HttpClient): AppProbe {
	return {
		async answers(fqdn, server) {
			for (const endpoint of endpoints) {
				const checks: Promise<boolean>[] = [];
				if (server.ipv4) checks.push(resolve(endpoint, fqdn, 'A', { http }).then((v) => v.includes(server.ipv4!)));
				if (server.ipv6)
					checks.push(
						resolve(endpoint, fqdn, 'AAAA', { http }).then((v) =>
							v.map((x) => x.toLowerCase()).includes(server.ipv6!.toLowerCase())
						)
					);
				const answers = await Promise.all(checks);
				if (answers.length === 0 || answers.some((ok) => !ok)) return false;
			}
			return true;
		}
	};
}

export interface ServerProbeOptions {
	/** The DNS check (above): the name must point at the server first. */
	dns: AppProbe;
	/** The link to the server's status; made when first needed (the keys exist by then). */
	link: () => Promise<ServerLink>;
	/** The apps the bundle runs (catalog ids, as the status names them). */
	apps: readonly string[];
	/** How long one status answer serves the checks of every host. */
	cacheMs?: number;
	now?: () => number;
}

/**
 * An app is up when its name points at the server (DNS-over-HTTPS, as above) and the
 * server's own status report says every app is healthy. Waiting is pointless when the
 * server refused its settings, its restore failed, or it does not take its password:
 * those end the wait with a ProviderError.
 */
export function serverProbe(options: ServerProbeOptions): AppProbe {
	const now = options.now ?? (() => Date.now());
	const cacheMs = options.cacheMs ?? 1_000;
	let link: Promise<ServerLink> | undefined;
	let cached: { at: number; status: Promise<ServerStatus> } | undefined;
	let why: string | undefined;

	const status = (): Promise<ServerStatus> => {
		if (!cached || now() - cached.at > cacheMs) {
			link ??= options.link();
			const at = now();
			const pending = link.then((l) => l.status());
			cached = { at, status: pending };
			// A failed read is not kept: the next check asks again.
			pending.catch(() => {
				if (cached?.status === pending) cached = undefined;
			});
		}
		return cached.status;
	};

	const stop = (message: string, action: string) =>
		new ProviderError({ code: 'unexpected', provider: 'your server', message, action });

	return {
		why: () => why,
		async answers(fqdn, server) {
			if (!(await options.dns.answers(fqdn, server))) {
				why = `${fqdn} does not point at your server yet.`;
				return false;
			}
			let s: ServerStatus;
			try {
				s = await status();
			} catch (error) {
				if (error instanceof StatusFormatError) {
					why = error.message;
					return false;
				}
				if (!isProviderError(error) || error.code === 'unauthorized' || error.code === 'invalid') throw error;
				why = `Waiting for your server to start your apps: ${error.message}`;
				return false;
			}
			if (s.restore?.state === 'failed')
				throw stop(
					`Your server could not restore your backup${s.restore.error ? `: ${s.restore.error}` : '.'} Its apps were not started.`,
					'Check the backup settings (storage, bucket and restic password), then try again.'
				);
			if (s.result === 'refused')
				throw stop(
					`Your server refused its settings${s.lastError ? `: ${s.lastError}` : '.'}`,
					'Try again; if it keeps happening, export your settings and report the problem.'
				);
			// An app that did not start was stopped (or put back) by the server: waiting will not change that.
			const failed = s.commit ? failedWith(s, s.commit, options.apps) : [];
			if (failed.length > 0)
				throw stop(
					`Your server runs, but not every app started: ${failed.join('; ')}.`,
					'Your other apps work. Open the dashboard to see that app’s messages; change its settings or remove it, and the server tries it again.'
				);
			if (allHealthy(s, options.apps)) {
				why = undefined;
				return true;
			}
			const waiting = options.apps
				.filter((a) => s.apps[a] !== 'healthy')
				.map((a) => `${a}: ${s.apps[a] ?? 'starting'}`);
			why = `Waiting for your server to start your apps (${waiting.join(', ')}).`;
			return false;
		}
	};
}
