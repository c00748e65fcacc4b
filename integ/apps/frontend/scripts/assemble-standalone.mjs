// Completes .next/standalone after `next build` so it runs on its own (`node server.js`),
// both in the container image and in the browser test:
//   - .next/static  -> .next/standalone/.next/static  (client JS/CSS; not copied by Next)
//   - public/       -> .next/standalone/public
//   - ../proto/orders.proto (the shared gRPC contract) -> .next/standalone/proto/orders.proto
//   - standalone/start.mjs -> .next/standalone/start.mjs (entry point: listen address from
//     BIND_HOST, not from the HOSTNAME that container runtimes set; see that file)
// The server resolves the proto from PROTO_PATH, else ./proto/orders.proto under its cwd
// (server.js chdirs to its own folder).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const standalone = path.join(appDir, '.next', 'standalone');
const protoSource = process.env.PROTO_SOURCE ?? path.join(appDir, '..', 'proto', 'orders.proto');

if (!fs.existsSync(path.join(standalone, 'server.js'))) {
  console.error(`assemble-standalone: ${standalone}/server.js is missing; is output: 'standalone' set?`);
  process.exit(1);
}
if (!fs.existsSync(protoSource)) {
  console.error(`assemble-standalone: proto not found at ${protoSource} (set PROTO_SOURCE)`);
  process.exit(1);
}

fs.rmSync(path.join(standalone, '.next', 'static'), { recursive: true, force: true });
fs.cpSync(path.join(appDir, '.next', 'static'), path.join(standalone, '.next', 'static'), { recursive: true });
if (fs.existsSync(path.join(appDir, 'public'))) {
  fs.cpSync(path.join(appDir, 'public'), path.join(standalone, 'public'), { recursive: true });
}
fs.mkdirSync(path.join(standalone, 'proto'), { recursive: true });
fs.copyFileSync(protoSource, path.join(standalone, 'proto', 'orders.proto'));
fs.copyFileSync(path.join(appDir, 'standalone', 'start.mjs'), path.join(standalone, 'start.mjs'));
console.log('assemble-standalone: copied .next/static, public/ (if any), proto/orders.proto and start.mjs into .next/standalone');
