// The generic stand-in web app (docker.io/nassella/stand-in-app:1, and the catalog images built
// from it): answers 200 on every path, for catalog apps whose software has no Debian or npm
// package. Listens on $PORT (default 80), on every address; exits at once on SIGTERM/SIGINT (it
// runs as PID 1, without an init). What the app it stands for would do that matters to the
// server is set per image:
//   STAND_IN_PUBLIC_URL_FROM  the environment variable holding the app's public address: a request
//                             that is not for it (another Host, or not X-Forwarded-Proto: https)
//                             is redirected there with 301, as Ghost does with an https url
//   STAND_IN_WRITE_DIR        a folder the app writes to: answers 500 while it cannot (wrong owner)
//   STAND_IN_EXIT             exits with this status at start: an app that does not start
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

const port = Number(process.env.PORT || 80);
const name = process.env.STAND_IN_NAME || 'stand-in app';
if (process.env.STAND_IN_EXIT) {
	console.error(`nassella ${name}: stands for an app that does not start; exiting with ${process.env.STAND_IN_EXIT}`);
	process.exit(Number(process.env.STAND_IN_EXIT));
}
const urlFrom = process.env.STAND_IN_PUBLIC_URL_FROM;
const publicUrl = urlFrom && process.env[urlFrom] ? new URL(process.env[urlFrom]) : undefined;
const writeDir = process.env.STAND_IN_WRITE_DIR;

const server = http.createServer((req, res) => {
	req.resume();
	if (publicUrl && (req.headers['x-forwarded-proto'] !== 'https' || req.headers.host !== publicUrl.host)) {
		res.writeHead(301, { location: `${publicUrl.origin}${req.url}` });
		res.end();
		return;
	}
	if (writeDir) {
		try {
			writeFileSync(join(writeDir, '.stand-in-write-check'), `${new Date().toISOString()}\n`);
		} catch (e) {
			res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
			res.end(`nassella ${name}: cannot write to ${writeDir} (${e.code ?? e})\n`);
			return;
		}
	}
	res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
	res.end(`nassella ${name}: ${req.method} ${req.url}\n`);
});
server.listen(port, () => console.log(`nassella ${name} listening on port ${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
