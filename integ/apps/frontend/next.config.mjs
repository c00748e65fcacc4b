// @ts-check
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.dirname(fileURLToPath(import.meta.url));

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Self-contained server in .next/standalone (node server.js) for the container image.
  output: 'standalone',
  // Pin both roots to this folder so a lockfile higher up in the repository never moves the
  // standalone layout (server.js must stay at .next/standalone/server.js).
  outputFileTracingRoot: appDir,
  turbopack: { root: appDir },
  // gRPC runs on the server only; keep these as plain Node packages (not bundled) so the
  // native-ish HTTP/2 client and the .proto loader work as in Node.
  serverExternalPackages: ['@grpc/grpc-js', '@grpc/proto-loader'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
