/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />

/*
 * Offline app shell. Everything the app is made of is cached under a name tied to the
 * build version. A new version installs in the background and waits: it takes over
 * only when the person asks for it (the page posts SKIP_WAITING after checking that
 * no operation is running), or when every tab of the old version is closed.
 */
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `nassella-shell-${version}`;
const SHELL = '/';
const ASSETS = new Set([...build, ...files, SHELL]);

sw.addEventListener('install', (event) => {
	event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll([...ASSETS])));
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(
		(async () => {
			for (const key of await caches.keys()) {
				if (key !== CACHE && key.startsWith('nassella-shell-')) await caches.delete(key);
			}
			await sw.clients.claim();
		})()
	);
});

sw.addEventListener('message', (event) => {
	if (event.data?.type === 'SKIP_WAITING') void sw.skipWaiting();
});

sw.addEventListener('fetch', (event) => {
	const request = event.request;
	if (request.method !== 'GET') return;
	const url = new URL(request.url);
	// Only the app's own files; provider APIs, the proxy and the sandbox go to the network untouched.
	if (url.origin !== sw.location.origin) return;
	if (request.mode === 'navigate') {
		event.respondWith(shellFor(request));
		return;
	}
	if (ASSETS.has(url.pathname)) {
		event.respondWith(cached(request));
	}
});

async function cached(request: Request): Promise<Response> {
	const cache = await caches.open(CACHE);
	const hit = await cache.match(request);
	return hit ?? fetch(request);
}

/** Every page is the same static shell; the router draws the rest. */
async function shellFor(request: Request): Promise<Response> {
	const cache = await caches.open(CACHE);
	const hit = await cache.match(SHELL);
	if (hit) return hit;
	return fetch(request);
}
