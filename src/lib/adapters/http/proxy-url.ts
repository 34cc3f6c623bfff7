/**
 * The proxy URL form agreed for the whole app: `https://<host><path>?<query>` through a proxy
 * at `<base>` becomes `<base>/<host><path>?<query>`. Kept here until the shared pure version
 * in core/net lands; the rule is the same one line.
 */
export function viaProxy(url: string, proxyBase: string | undefined): string {
	if (!proxyBase) return url;
	const u = new URL(url);
	return `${proxyBase.replace(/\/+$/, '')}/${u.host}${u.pathname}${u.search}`;
}
