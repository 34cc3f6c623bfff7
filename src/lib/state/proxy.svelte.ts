/**
 * The relay ("CORS proxy") address from Settings. It is not a secret: it is kept in
 * localStorage, checked again on every read. Adapters for providers that need the relay
 * get it as their `proxyBase`; see src/lib/core/net/proxy-url.ts for the URL form.
 */
import { checkProxyBase, originOf, policyAllowsConnect } from '../core/net/proxy-url.ts';
import { relayAnswers } from '../main/app.ts';
import { relayReach } from '../main/providers.ts';

const KEY = 'nassella.proxyBase';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The saved relay address, when there is a valid one. */
export function storedProxyBase(): string | undefined {
	const value = globalThis.localStorage?.getItem(KEY);
	if (!value) return undefined;
	const checked = checkProxyBase(value);
	return checked.ok ? checked.base : undefined;
}

/**
 * Whether this copy's Content-Security-Policy lets the page connect to `base`. The
 * policy is fixed when the app is built (NASSELLA_PROXY_ORIGIN); a relay elsewhere would
 * be blocked by the browser, so the page says so instead of trying.
 */
export function policyAllows(base: string): boolean {
	const meta = document.querySelector('meta[http-equiv="content-security-policy" i]');
	return policyAllowsConnect(meta?.getAttribute('content'), base, location.origin);
}

export class ProxySettingState {
	input = $state('');
	saved = $state<string | undefined>(undefined);
	error = $state<string | undefined>(undefined);
	notice = $state('');
	testing = $state(false);
	/** The relay the local entry (`npm start`) serves beside the app, when this page comes from it. */
	localRelay = $state<string | undefined>(undefined);
	/** Which providers go through a relay and which are called directly, from their descriptors. */
	readonly reach = relayReach();

	load(): void {
		this.saved = storedProxyBase();
		this.input = this.saved ?? '';
		this.localRelay = LOOPBACK.has(location.hostname) ? `${location.origin}/proxy` : undefined;
	}

	save(): boolean {
		const checked = checkProxyBase(this.input);
		if (!checked.ok) {
			this.error = checked.reason;
			this.notice = '';
			return false;
		}
		localStorage.setItem(KEY, checked.base);
		this.saved = checked.base;
		this.input = checked.base;
		this.error = undefined;
		this.notice = policyAllows(checked.base)
			? 'Saved. Providers that need a relay now go through it.'
			: `Saved, but this copy of nassella is not allowed to connect to ${originOf(checked.base)}. ` +
				'Whoever publishes it must build it with that relay address (see "Run your own relay").';
		return true;
	}

	useLocal(): void {
		if (!this.localRelay) return;
		this.input = this.localRelay;
		this.save();
	}

	clear(): void {
		localStorage.removeItem(KEY);
		this.saved = undefined;
		this.input = '';
		this.error = undefined;
		this.notice = 'Removed. Providers that need a relay cannot be used until you set one again.';
	}

	/** Asks the relay for nothing in particular: it must answer with its own refusal, readable by this page. */
	async test(): Promise<void> {
		const base = this.saved;
		if (!base || this.testing) return;
		if (!policyAllows(base)) {
			this.notice = `This copy of nassella is not allowed to connect to ${originOf(base)}, so it cannot use this relay.`;
			return;
		}
		this.testing = true;
		this.notice = 'Testing the relay…';
		try {
			const isRelay = (await relayAnswers(base)) === 'relay';
			this.notice = isRelay
				? 'The relay answers and accepts this app.'
				: 'Something answers at this address, but it does not behave like a nassella relay. Check the address.';
		} catch {
			this.notice =
				'The relay did not answer, or it does not accept this app. Check the address, and that the relay lists this app’s address as allowed.';
		} finally {
			this.testing = false;
		}
	}
}
