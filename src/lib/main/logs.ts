/**
 * Composition of the log view's sources: the journal of the current deployment's server
 * (through the server link), and the practice journal the log view's own test page reads.
 */
import { fetchJournal } from '../adapters/server/journal.ts';
import { platformFetch } from '../adapters/http/chain.ts';
import type { ServerLink } from '../ports/server.ts';

/** The admin host of the practice page: answered on the app's own origin, under /sandbox/. */
export const PRACTICE_HOST = 'logs-practice.sandbox.invalid';

/** A journal read with the log client's own request builder and stream reader, from the app's origin. */
export function practiceJournal(): ServerLink['journal'] {
	const base = `/sandbox/server/${PRACTICE_HOST}`;
	return (query, signal) => fetchJournal(platformFetch, base, query, { signal });
}
