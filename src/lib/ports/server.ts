/**
 * How the app talks to a person's own server once it runs: its status report and its
 * journal, both on the admin host behind basic auth (credentials from the vault).
 *
 * The admin host is the person's own domain, which the app's static CSP cannot list, so
 * the link goes through the relay's `server` route (`<relay>/server/<admin host>/…`, GET
 * only, two paths). Sandbox servers answer on the app's origin at `/sandbox/server/<host>/…`.
 */
import type { ServerStatus } from '../core/server/status.ts';

export interface JournalQuery {
	/** Journal field matches, e.g. { CONTAINER_NAME: 'nassella-vaultwarden-1' } or { _SYSTEMD_UNIT: 'nassella-sync.service' }. */
	matches?: Record<string, string>;
	/** Start after this cursor (`__CURSOR` of an earlier entry). */
	cursor?: string;
	/** Negative: that many entries before the end (gatewayd's `Range: entries=:-N:N`). */
	skip?: number;
	count?: number;
	/** Keep the response open and stream new entries as they come (gatewayd `?follow`). */
	follow?: boolean;
}

export interface ServerLink {
	/** The admin host this link talks to. */
	readonly host: string;
	/** Reads and parses `status.json`. Throws ProviderError (auth, network, not-found…) or StatusFormatError. */
	status(signal?: AbortSignal): Promise<ServerStatus>;
	/**
	 * Journal entries as gatewayd sends them with `Accept: application/json` (one JSON
	 * object per line), parsed but not interpreted; streamed in batches as they arrive.
	 */
	journal(query: JournalQuery, signal?: AbortSignal): AsyncIterable<Record<string, unknown>[]>;
}

/** Makes a link for a deployment's admin host with its basic-auth credentials. */
export type ServerLinkFactory = (target: {
	host: string;
	user: string;
	password: string;
	sandbox: boolean;
}) => ServerLink;
