import type { Mount } from './server.ts';
import { sandboxMount } from '../sandbox/index.ts';

/** Handlers the local entry serves beside the app (the proxy and the sandbox providers). */
export async function localMounts(): Promise<Mount[]> {
	return [sandboxMount()];
}
