/**
 * Address records the dashboard makes for a running deployment: an app added later
 * answers on a new name, and the admin host (status and logs) needs a record the setup's
 * plan does not name. Each points at the server (A and AAAA) and is recorded with the
 * deployment's resources, so "Destroy" removes it too.
 */
import { transition, type CreatedResource, type DeploymentState } from '../../core/deploy/machine.ts';
import type { Clock, DeploymentStore } from '../../ports/deploy.ts';
import type { DnsProvider } from '../../ports/dns.ts';

/** The TTL of the records the dashboard writes (the setup's own). */
const TTL = 300;

export interface AddressPorts {
	/** The deployment's DNS provider, made only when a record must be written. */
	dns(): Promise<DnsProvider>;
	store: DeploymentStore;
	clock: Pick<Clock, 'now'>;
}

/** What was last pointed for the admin host of a deployment (host and addresses as one key). */
export interface AdminRecordMemory {
	load(deploymentId: string): Promise<{ key: string } | undefined>;
	save(deploymentId: string, value: { key: string }): Promise<void>;
}

/** Points `fqdns` at the deployment's server and records the records with its resources. */
export async function pointAtServer(
	ports: AddressPorts,
	state: DeploymentState,
	fqdns: readonly string[]
): Promise<void> {
	if (fqdns.length === 0) return;
	const addr = state.steps['wait-server']?.output ?? {};
	const dns = await ports.dns();
	const made: CreatedResource[] = [];
	for (const fqdn of fqdns) {
		const zone = await dns.findZone(fqdn);
		for (const [type, value] of [
			['A', addr.ipv4],
			['AAAA', addr.ipv6]
		] as const) {
			if (typeof value !== 'string') continue;
			await dns.upsert(zone, { name: fqdn, type, ttl: TTL, values: [value] });
			made.push({
				kind: 'dns-record',
				id: `${fqdn}|${type}`,
				name: fqdn,
				step: 'dns',
				extra: { zoneId: zone.id, zoneName: zone.name, type }
			});
		}
	}
	const latest = await ports.store.load(state.id);
	if (latest && made.length > 0)
		await ports.store.save(transition(latest, { type: 'record', at: ports.clock.now(), resources: made }));
}

/**
 * Makes the admin host's record once per server address (remembered in `memory`); nothing
 * to do when the plan's hosts already include it.
 */
export async function ensureAdminRecord(
	ports: AddressPorts & { memory: AdminRecordMemory },
	state: DeploymentState,
	host: string
): Promise<void> {
	if (state.plan.input.hosts.some((h) => h.fqdn === host)) return;
	const addr = state.steps['wait-server']?.output ?? {};
	const key = `${host} ${String(addr.ipv4 ?? '')} ${String(addr.ipv6 ?? '')}`;
	if ((await ports.memory.load(state.id))?.key === key) return;
	await pointAtServer(ports, state, [host]);
	await ports.memory.save(state.id, { key });
}
