/**
 * The Workers runtime's TCP sockets (https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/),
 * as far as the relay's Workers entry uses them.
 */
declare module 'cloudflare:sockets' {
	export const connect: import('./pinned-get.ts').Connect;
}
