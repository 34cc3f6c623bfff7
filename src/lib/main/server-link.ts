/**
 * Composition root of the link to a deployment's own server: which address it answers on
 * (sandbox servers on the app's origin, real ones through the relay's `server` route),
 * and the admin credentials, read from the deployment's keys in the vault.
 */
import type { HttpClient } from '../ports/http.ts';
import type { ServerLink } from '../ports/server.ts';
import type { RecordVault } from '../ports/vault.ts';
import { createServerLink, serverBase } from '../adapters/server/link.ts';
import { MissingSecretError } from '../core/errors.ts';

/** The deployment's keys (kind `deploymentKeys`), which hold the admin password the link needs. */
export type RecordReader = Pick<RecordVault, 'get'>;

/** The fields of a setup (or deployment) record the link needs. */
export interface ServerTarget {
	deploymentId: string;
	domain: string;
	cloud: { provider: string };
	/** When the deployment uses its own admin host; otherwise `nassella.<domain>`. */
	adminHost?: string;
}

/** The admin host of a deployment (as the server generator names it). */
export function adminHostFor(target: ServerTarget): string {
	return target.adminHost ?? `nassella.${target.domain}`;
}

/** True for deployments on the sandbox providers `npm start` serves. */
export function isSandbox(target: ServerTarget): boolean {
	return target.cloud.provider.startsWith('sandbox-');
}

function appOrigin(): string {
	return typeof location !== 'undefined' ? location.origin : 'http://127.0.0.1';
}

/**
 * The link to a deployment's server. Throws when the vault holds no admin password for it
 * (a deployment from before the keys existed) or when a real server has no relay to go through.
 */
export async function serverLinkFor(
	target: ServerTarget,
	records: RecordReader,
	options: { proxyBase?: string; http?: HttpClient; origin?: string } = {}
): Promise<ServerLink> {
	const keys = await records.get('deploymentKeys', target.deploymentId);
	// Read as unknown: a record from an older (imported) vault may lack the admin password.
	const admin: { user?: unknown; password?: unknown } | undefined = keys?.admin;
	const user = admin?.user;
	const password = admin?.password;
	if (typeof user !== 'string' || typeof password !== 'string')
		throw new MissingSecretError("This deployment's server password is not in your vault.");
	const host = adminHostFor(target);
	return createServerLink({
		host,
		user,
		password,
		base: serverBase(host, {
			sandbox: isSandbox(target),
			appOrigin: options.origin ?? appOrigin(),
			proxyBase: options.proxyBase
		}),
		http: options.http
	});
}
