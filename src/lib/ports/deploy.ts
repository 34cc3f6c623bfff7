/**
 * Ports the deploy runner needs besides the cloud, DNS and git hosts: where deployment
 * state is kept, how tabs agree on who runs a deployment, how an app is checked, the
 * clock, and the files a deployment ships (bundle, Ignition, keys).
 */
import type { DeploymentState } from '../core/deploy/machine.ts';
import type { BundleFile, CommitSigner, RepoRef } from './git-host.ts';

/** Deployment state, one record per deployment (`deployment/<id>` in the vault). */
export interface DeploymentStore {
	load(id: string): Promise<DeploymentState | undefined>;
	/** Must be durable when it resolves: the runner writes an intent, then acts. */
	save(state: DeploymentState): Promise<void>;
	list(): Promise<string[]>;
	remove(id: string): Promise<void>;
}

/** One tab at a time: a lock per long operation (a Web Lock in the browser), seen by every tab. */
export interface ExclusiveLock {
	/**
	 * Runs `fn` holding the exclusive lock named `key` (a deployment id, or `move-<id>`). With
	 * `ifAvailable`, returns `{ acquired: false }` at once when another tab holds it;
	 * otherwise waits for it.
	 */
	exclusive<T>(
		key: string,
		fn: () => Promise<T>,
		options: { ifAvailable: boolean; signal?: AbortSignal }
	): Promise<{ acquired: true; value: T } | { acquired: false }>;
}

/** Cross-tab agreement: one tab runs a deployment, the others follow its news. */
export interface DeployCoordination extends ExclusiveLock {
	/** Tells the other tabs about a new state. */
	publish(state: DeploymentState): void;
	/** Hears about new states from other tabs; returns an unsubscribe function. */
	subscribe(deploymentId: string, listener: (state: DeploymentState) => void): () => void;
}

/**
 * Whether an app is up on its address: its name points at the server and the server
 * reports it healthy. May throw a ProviderError when waiting longer cannot help (the
 * server refused its settings, or its restore failed).
 */
export interface AppProbe {
	answers(fqdn: string, server: { ipv4?: string; ipv6?: string }): Promise<boolean>;
	/** Why the last check said no, in plain words, when the probe knows. */
	why?(): string | undefined;
}

export interface Clock {
	now(): number;
	/** Resolves after `ms`, or rejects with an AbortError when `signal` aborts. */
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What the deployment ships, generated from its configuration and the vault's keys. */
export interface DeployArtifacts {
	/** The server bundle committed to the repo. */
	bundle(context: { repo: RepoRef }): Promise<BundleFile[]>;
	sign: CommitSigner;
	/** The read-only key the server pulls with (public half, OpenSSH form). */
	deployKey(): Promise<{ title: string; publicKey: string }>;
	/** The Ignition config (JSON text) for the server, once the repo exists. */
	ignition(context: { repo: RepoRef; commit: string; volume: { id: string; name: string } }): Promise<string>;
}
