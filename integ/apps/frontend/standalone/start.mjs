// Entry point of the standalone server: `node start.mjs` next to Next's generated server.js
// (scripts/assemble-standalone.mjs copies this file to .next/standalone/start.mjs; the image's
// CMD runs it). Do not run it from this folder: it imports ./server.js.
//
// Next's server.js listens on process.env.HOSTNAME. Container runtimes set HOSTNAME themselves:
// on ECS Fargate it is the task's own name (ip-10-0-1-23.ec2.internal...), which overrides an
// image's `ENV HOSTNAME=0.0.0.0`, so server.js would listen on that one interface only and the
// health check on 127.0.0.1 would fail (vercel/next.js#58657). The listen address therefore
// comes from BIND_HOST (default 0.0.0.0, every interface); HOSTNAME is ignored.
// PORT and KEEP_ALIVE_TIMEOUT are read by server.js as usual.
process.env.HOSTNAME = process.env.BIND_HOST?.trim() || '0.0.0.0';

await import('./server.js');
