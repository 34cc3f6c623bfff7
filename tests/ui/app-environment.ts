/**
 * What SvelteKit's `$app/environment` gives the app, for the UI tests that bundle a panel with
 * Vite alone (no SvelteKit plugin): a production browser build.
 */
export const browser = true;
export const dev = false;
export const building = false;
export const version = 'ui-test';
