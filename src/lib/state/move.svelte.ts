/**
 * The move page: choose where to, start, follow the steps (resuming a move a closed tab
 * left), retry or give up after a failure, and confirm removing the old server. Also the
 * takeover of a deployment after importing the vault.
 */
import { describeError } from '../core/errors.ts';
import type { MoveState } from '../core/deploy/move.ts';
import type { Region, Size } from '../ports/cloud.ts';
import type { MoveRunner } from '../services/move/runner.ts';
import {
	cloudFor,
	cloudOptions,
	loadMoveContext,
	moveRunner,
	startMove,
	takeOverDeployment,
	withMoveLock,
	type MoveContext
} from '../main/move.ts';
import { storedProxyBase } from './proxy.svelte.ts';

function plain(e: unknown): string {
	const { message, action } = describeError(e, { message: 'Something unexpected went wrong.', action: 'Try again.' });
	return `${message} ${action}`;
}

export type PageStatus = 'loading' | 'locked' | 'nothing' | 'not-ready' | 'ready';

export class MovePageState {
	status = $state<PageStatus>('loading');
	move = $state<MoveState | undefined>(undefined);
	/** Where the deployment runs now. */
	current = $state<{ provider: string; region: string; size: string; domain: string } | undefined>(undefined);
	/** This tab runs the move; otherwise another tab does (or nothing runs). */
	running = $state(false);
	otherTab = $state(false);
	error = $state<string | undefined>(undefined);

	readonly providers = cloudOptions().map((o) => ({
		id: o.id,
		name: o.name,
		sandbox: o.sandbox,
		tokenHelp: o.tokenHelp,
		tokenGuide: o.tokenGuide,
		providerName: o.providerName
	}));
	provider = $state('');
	token = $state('');
	region = $state('');
	size = $state('');
	regions = $state<Region[]>([]);
	sizes = $state<Size[]>([]);
	checking = $state(false);
	choicesError = $state<string | undefined>(undefined);

	#ctx: MoveContext | undefined;

	async load(): Promise<void> {
		const ctx = await loadMoveContext();
		if (ctx === 'locked' || ctx === 'nothing') {
			this.status = ctx;
			return;
		}
		this.#ctx = ctx;
		this.move = ctx.move;
		const d = ctx.deployment;
		this.current = d
			? { ...d.plan.input.cloud, domain: ctx.setup.domain }
			: { ...ctx.setup.cloud, domain: ctx.setup.domain };
		this.status = d?.phase === 'done' || ctx.move ? 'ready' : 'not-ready';
		if (ctx.move?.phase === 'running' || (ctx.move?.phase === 'failed' && ctx.move.revert === 'needed'))
			void this.#drive((r) => r.run());
	}

	#asked = 0;
	#typing: ReturnType<typeof setTimeout> | undefined;
	/** The provider and token whose regions and sizes are shown. */
	#loadedFor: string | undefined;

	/** Loads the regions and sizes of the chosen provider with the token typed in. */
	async loadChoices(): Promise<void> {
		clearTimeout(this.#typing);
		const key = `${this.provider}\n${this.token.trim()}`;
		// Leaving the field after its choices loaded (to press Start) asks nothing again.
		if (key === this.#loadedFor && !this.choicesError) return;
		this.#loadedFor = undefined;
		this.choicesError = undefined;
		const asked = ++this.#asked;
		if (!this.provider || !this.token.trim()) {
			this.regions = [];
			this.sizes = [];
			this.checking = false;
			return;
		}
		this.checking = true;
		try {
			const cloud = await cloudFor(this.provider, this.token.trim(), storedProxyBase());
			const [regions, sizes] = await Promise.all([cloud.regions(), cloud.sizes()]);
			// A newer token or provider was asked about meanwhile: its answer counts, not this one.
			if (asked !== this.#asked) return;
			this.#loadedFor = key;
			this.regions = regions.filter((r) => r.available);
			this.sizes = sizes;
			if (!this.regions.some((r) => r.id === this.region)) this.region = this.regions[0]?.id ?? '';
			this.#pickSize();
		} catch (e) {
			if (asked !== this.#asked) return;
			this.choicesError = plain(e);
			this.regions = [];
			this.sizes = [];
		} finally {
			if (asked === this.#asked) this.checking = false;
		}
	}

	/** While the token is typed or pasted: its regions and sizes load once typing pauses. */
	tokenTyped(): void {
		clearTimeout(this.#typing);
		this.#typing = setTimeout(() => void this.loadChoices(), 600);
	}

	get sizesHere(): Size[] {
		return this.sizes.filter((s) => s.regions.length === 0 || s.regions.includes(this.region));
	}

	#pickSize(): void {
		if (!this.sizesHere.some((s) => s.id === this.size)) this.size = this.sizesHere[0]?.id ?? '';
	}

	regionChanged(): void {
		this.#pickSize();
	}

	/** Why the move cannot start yet, in plain words, or undefined when it can. */
	get startBlocker(): string | undefined {
		const chosen = this.providers.find((p) => p.id === this.provider);
		if (!chosen) return 'Choose the cloud provider to move to.';
		if (!this.token.trim())
			return chosen.sandbox
				? 'Type any word as the token, for example “sandbox”.'
				: `Paste your ${chosen.providerName} token (“How to make this token” shows where to get one).`;
		if (this.checking) return 'Checking the token…';
		if (this.choicesError) return 'The token did not work: see the message above.';
		if (!this.regions.length) return 'Waiting for the regions and sizes this token can use.';
		if (!this.region) return 'Choose a region.';
		if (!this.size) return 'Choose a server size available in this region.';
		if (!this.current) return 'Your current server is still being read.';
		const c = this.current;
		if (c.provider === this.provider && c.region === this.region && c.size === this.size)
			return 'Your server already runs there, at that size: choose another region, size or provider.';
		return undefined;
	}

	get canStart(): boolean {
		return this.startBlocker === undefined;
	}

	async start(): Promise<void> {
		if (!this.#ctx || !this.canStart) return;
		this.error = undefined;
		try {
			this.move = await startMove(this.#ctx, {
				provider: this.provider,
				token: this.token.trim(),
				region: this.region,
				size: this.size
			});
			this.#ctx = { ...this.#ctx, move: this.move };
			this.token = '';
		} catch (e) {
			this.error = plain(e);
			return;
		}
		await this.#drive((r) => r.run());
	}

	retry(): Promise<void> {
		return this.#drive((r) => r.retry());
	}

	abandon(): Promise<void> {
		return this.#drive((r) => r.abandon());
	}

	confirmRemoval(): Promise<void> {
		return this.#drive((r) => r.confirmRemoval());
	}

	async #drive(fn: (r: MoveRunner) => Promise<MoveState>): Promise<void> {
		const ctx = this.#ctx;
		if (!ctx || this.running) return;
		this.error = undefined;
		try {
			const result = await withMoveLock(ctx.setup.deploymentId, async () => {
				this.running = true;
				this.otherTab = false;
				const runner = await moveRunner(ctx, storedProxyBase());
				const stop = runner.subscribe((s) => (this.move = s));
				try {
					return await fn(runner);
				} finally {
					stop();
				}
			});
			if (result === undefined) this.otherTab = true;
			else this.move = result;
		} catch (e) {
			this.error = plain(e);
		} finally {
			this.running = false;
		}
		// A finished move changed the deployment record: read it again.
		if (this.move?.phase === 'confirm' || this.move?.phase === 'done') {
			const next = await loadMoveContext();
			if (typeof next === 'object') {
				this.#ctx = next;
				const d = next.deployment;
				if (d) this.current = { ...d.plan.input.cloud, domain: next.setup.domain };
			}
		}
	}

	/** Starts another move after one finished or was given up. */
	async clear(): Promise<void> {
		if (!this.#ctx || !this.move || (this.move.phase !== 'done' && this.move.phase !== 'abandoned')) return;
		await this.#ctx.records.delete('move', this.#ctx.setup.deploymentId);
		this.move = undefined;
		await this.load();
	}
}

export class TakeoverState {
	status = $state<PageStatus>('loading');
	domain = $state('');
	provider = $state('');
	busy = $state(false);
	error = $state<string | undefined>(undefined);
	result = $state<{ server: string; address: string; others: number } | undefined>(undefined);
	#ctx: MoveContext | undefined;

	async load(): Promise<void> {
		const ctx = await loadMoveContext();
		if (ctx === 'locked' || ctx === 'nothing') {
			this.status = ctx;
			return;
		}
		this.#ctx = ctx;
		this.domain = ctx.setup.domain;
		this.provider = ctx.setup.cloud.provider;
		this.status = 'ready';
	}

	async takeOver(): Promise<void> {
		if (!this.#ctx) return;
		this.busy = true;
		this.error = undefined;
		try {
			const { found } = await takeOverDeployment(this.#ctx, storedProxyBase());
			this.result = {
				server: found.server.name,
				address: found.server.ipv4 ?? found.server.ipv6 ?? '',
				others: found.otherServers.length
			};
		} catch (e) {
			this.error = plain(e);
		} finally {
			this.busy = false;
		}
	}
}
