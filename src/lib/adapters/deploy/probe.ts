/**
 * Is an app reachable yet? Asks DNS-over-HTTPS resolvers whether the app's address points
 * at the server. In the sandbox the resolver is the local stand-in that answers from the
 * sandbox DNS providers.
 */
import type { AppProbe } from '../../ports/deploy.ts';
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
