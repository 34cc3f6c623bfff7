/** The shared proxy URL rule (core/net), re-exported for the provider chain. */
export { viaProxy } from '../../core/net/proxy-url.ts';
