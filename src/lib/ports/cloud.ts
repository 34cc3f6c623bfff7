import type { SizeChoice } from '../core/deploy/setup.ts';
import type { Labels } from '../core/labels.ts';
import type { MetricsQuery, ServerMetrics } from '../core/metrics.ts';

export type { MetricKind, MetricSeries, MetricsQuery, ServerMetrics } from '../core/metrics.ts';

/** Progress of a long wait, for the UI ("Waiting for the server to start… 40%"). */
export type Progress = (note: { message: string; fraction?: number }) => void;

export interface Region {
	id: string;
	name: string;
	country?: string;
	available: boolean;
}

export interface Size extends SizeChoice {
	arch: 'amd64' | 'arm64';
}

/** What the data volume costs, per GiB and month. */
export interface VolumePrice {
	monthlyPerGiB: number;
	currency: string;
	/** "provider": stated by the provider's API; "published": its price list, kept in nassella (see `note`). */
	source: 'provider' | 'published';
	/** Where a published price comes from, and when it was read. */
	note?: string;
}

/** Anything the provider made for a deployment, as found by label or name. */
export interface CloudResource {
	kind: 'image' | 'ssh-key' | 'volume' | 'firewall' | 'server' | 'snapshot';
	id: string;
	name: string;
	labels: Labels;
	/** Provider-specific state, e.g. "active", "available", "running". */
	status?: string;
	region?: string;
}

export interface Server extends CloudResource {
	kind: 'server';
	ipv4?: string;
	ipv6?: string;
}

export interface ServerSpec {
	name: string;
	region: string;
	size: string;
	imageId: string;
	/** The Ignition config, as JSON text. */
	userData: string;
	volumeIds: string[];
	firewallId?: string;
	sshKeyIds: string[];
	labels: Labels;
}

/** The first, CPU-and-network-only shape; `serverMetrics` supersedes it. */
export interface Metrics {
	/** Unix ms timestamps with values. */
	cpuPercent: [number, number][];
	networkInBytesPerSec: [number, number][];
	networkOutBytesPerSec: [number, number][];
	diskReadBytesPerSec?: [number, number][];
	diskWriteBytesPerSec?: [number, number][];
}

/**
 * A cloud account. Every `ensure*` looks before it creates: called twice with the same
 * name and labels, it returns the same resource and makes no second one.
 */
export interface CloudProvider {
	readonly id: string;
	readonly displayName: string;
	/** Checks the token and what it may do; throws ProviderError('unauthorized'|'forbidden'). */
	verify(): Promise<{ account: string }>;
	regions(): Promise<Region[]>;
	sizes(): Promise<Size[]>;
	/** The price of block storage (the data volume). Optional: without it the review names no price for the disk. */
	volumePrice?(region: string): Promise<VolumePrice>;
	/** A Flatcar image usable in `region` (imported or built once, then reused). */
	ensureImage(region: string, labels: Labels, progress?: Progress): Promise<CloudResource>;
	/**
	 * Looks, without creating anything, for the image `ensureImage` would return in `region`
	 * (it may still be importing: see `status`). Optional: without it the engine looks among
	 * everything labelled managed-by=nassella for a shared image.
	 */
	findImage?(region: string): Promise<CloudResource | undefined>;
	ensureSshKey(name: string, publicKey: string, labels: Labels): Promise<CloudResource>;
	ensureVolume(name: string, region: string, sizeGiB: number, labels: Labels): Promise<CloudResource>;
	/** Inbound 80/443 (and 22 only when `allowSsh`). */
	ensureFirewall(name: string, allowSsh: boolean, labels: Labels): Promise<CloudResource>;
	ensureServer(spec: ServerSpec): Promise<Server>;
	/** Waits until the server runs and has an address. */
	waitForServer(id: string, progress?: Progress, signal?: AbortSignal): Promise<Server>;
	/** Everything carrying all of `labels` (e.g. one deployment, or everything nassella made). */
	findByLabels(labels: Labels): Promise<CloudResource[]>;
	/** CPU and network since `sinceMs` (kept for existing callers; prefer `serverMetrics`). */
	metrics(serverId: string, sinceMs: number): Promise<Metrics>;
	/**
	 * CPU, network and disk series of one server over [from, to], in the vendor-neutral
	 * shape. Optional: a provider without a metrics API leaves it out, and the app says so.
	 * Kinds the provider does not report come back in `missing` with a reason.
	 */
	serverMetrics?(serverId: string, query: MetricsQuery, signal?: AbortSignal): Promise<ServerMetrics>;
	/** Deletes one resource; deleting something already gone is not an error. */
	delete(resource: Pick<CloudResource, 'kind' | 'id'>): Promise<void>;
}
