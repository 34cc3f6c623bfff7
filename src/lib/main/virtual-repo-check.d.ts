/** The check each config repository runs, built with the app by src/cli/repo-check-build.ts. */
declare module 'virtual:nassella-repo-check' {
	const source: string;
	export default source;
}
