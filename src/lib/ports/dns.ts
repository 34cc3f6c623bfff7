import type { RecordSet, RecordType, Zone } from '../core/dns/names.ts';

/** The record set, record type and zone of core/dns/names.ts, which the DNS helpers also use. */
export type { RecordSet, RecordType, Zone };

export interface DnsProvider {
	readonly id: string;
	readonly displayName: string;
	verify(): Promise<{ account: string }>;
	/** The zone that holds `fqdn`: the longest zone name that is a suffix of it. */
	findZone(fqdn: string): Promise<Zone>;
	/**
	 * Creates the zone (domain) `name` in this account unless the account holds it already
	 * (looks before it creates; the same call twice leaves one zone). Optional: only providers
	 * that let an account create names this way have it (deSEC, e.g. a free `<name>.dedyn.io`).
	 * Throws ProviderError `conflict` when someone else holds the name, `quota` when the
	 * account may not hold more domains.
	 */
	ensureZone?(name: string): Promise<Zone>;
	list(zone: Zone): Promise<RecordSet[]>;
	/** Creates or replaces the record set; the same call twice leaves one record set. */
	upsert(zone: Zone, record: RecordSet): Promise<void>;
	/** Deleting a record set that is already gone is not an error. */
	delete(zone: Zone, name: string, type: RecordType): Promise<void>;
}
