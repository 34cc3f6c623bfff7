/** The validated catalog, bundled at build time by catalog/vite-plugin.ts. */
declare module 'virtual:nassella-catalog' {
	const apps: import('./types.ts').CatalogApp[];
	export default apps;
}
