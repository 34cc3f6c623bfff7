/**
 * How adapters reach the network. The default chain is fetch → (proxy, for hosts without
 * CORS) → auth → retry → error mapping; tests and the sandbox swap the bottom of it.
 */
export type HttpClient = (request: Request) => Promise<Response>;
