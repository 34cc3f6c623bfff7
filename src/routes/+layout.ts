// A static single-page app: everything renders in the browser from one shell.
export const ssr = false;
export const prerender = false;
