// The generic stand-in web app (docker.io/nassella/stand-in-app:1): answers 200 on every path,
// for catalog apps whose software has no Debian or npm package. Listens on $PORT (default 80),
// on every address; exits at once on SIGTERM/SIGINT (it runs as PID 1, without an init).
import http from 'node:http';

const port = Number(process.env.PORT || 80);
const name = process.env.STAND_IN_NAME || 'stand-in app';
const server = http.createServer((req, res) => {
	req.resume();
	res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
	res.end(`nassella ${name}: ${req.method} ${req.url}\n`);
});
server.listen(port, () => console.log(`nassella ${name} listening on port ${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
