/**
 * The public DNS-over-HTTPS resolvers the app asks whether a new address has spread
 * (src/lib/main/providers.ts, dohEndpoints), and which the build lets the browser call.
 */
export const PUBLIC_DOH = [
	{ name: 'Cloudflare', url: 'https://cloudflare-dns.com/dns-query' },
	{ name: 'Google', url: 'https://dns.google/resolve' }
] as const;

export const DOH_ORIGINS: readonly string[] = /* @__PURE__ */ PUBLIC_DOH.map((r) => new URL(r.url).origin);
