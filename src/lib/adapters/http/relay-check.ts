/**
 * The relay test from Settings: asks the relay for nothing in particular. A nassella relay
 * answers with its own refusal (403 and a JSON `error`), readable by this page; anything else
 * that answers is not one. No answer at all (or one the browser blocks) throws.
 */
import type { HttpClient } from '../../ports/http.ts';
import { platformFetch } from './chain.ts';

export async function relayAnswers(base: string, http: HttpClient = platformFetch): Promise<'relay' | 'other'> {
	const response = await http(
		new Request(`${base.replace(/\/+$/, '')}/`, {
			credentials: 'omit',
			cache: 'no-store',
			signal: AbortSignal.timeout(10_000)
		})
	);
	const body: unknown = await response.json().catch(() => undefined);
	const isRelay =
		response.status === 403 &&
		typeof body === 'object' &&
		body !== null &&
		typeof (body as { error?: unknown }).error === 'string';
	return isRelay ? 'relay' : 'other';
}
