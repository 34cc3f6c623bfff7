/**
 * `npm start`: serves the built app on http://127.0.0.1:4173 together with the local
 * sandbox (stand-ins for cloud, DNS and git providers that need no accounts).
 */
import { createLocalServer } from './server.ts';
import { localMounts } from './mounts.ts';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 4173);
if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
	console.error(`Refusing to listen on ${host}: the local entry is for this computer only (use 127.0.0.1).`);
	process.exit(2);
}

const server = createLocalServer({ root: 'build', mounts: await localMounts() });
server.listen(port, host, () => {
	console.log(`nassella is running at http://${host === '::1' ? '[::1]' : host}:${port}/`);
	console.log('The local sandbox stands in for real providers: nothing is created or billed anywhere.');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
