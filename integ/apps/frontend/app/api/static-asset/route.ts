import { readdir } from 'node:fs/promises';
import path from 'node:path';

// Names one hashed static asset of this build, for deployment tests that check through the CDN
// how /_next/static/ is cached (the hashed names are only known after `next build`). Reads the
// files at run time and calls no backend. The standalone server.js chdirs to its own folder, and
// `next start` runs in the app folder: either way the assets are in ./.next/static.
// Deterministic: the lexicographically first .js file directly in .next/static/chunks.
// `?redirect` answers 307 to the asset instead, so one HEAD request (following redirects) through
// the CDN reads the asset's own headers: the CDK integ test asserts its Cache-Control that way.
export const dynamic = 'force-dynamic';

const CHUNKS_DIR = ['.next', 'static', 'chunks'];

async function firstChunk(): Promise<string | undefined> {
  try {
    const entries = await readdir(path.join(/* turbopackIgnore: true */ process.cwd(), ...CHUNKS_DIR), { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
      .map((entry) => entry.name)
      .sort()[0];
  } catch {
    return undefined; // no .next/static/chunks (static assets not copied next to server.js)
  }
}

export async function GET(request: Request) {
  const chunk = await firstChunk();
  if (!chunk) {
    return Response.json(
      { error: 'no .js file found under .next/static/chunks' },
      { status: 404, headers: { 'Cache-Control': 'no-store' } },
    );
  }
  const assetPath = `/_next/static/chunks/${encodeURIComponent(chunk)}`;
  if (new URL(request.url).searchParams.has('redirect')) {
    // A relative Location: the client resolves it against the URL it asked (the CDN's host).
    return new Response(null, { status: 307, headers: { Location: assetPath, 'Cache-Control': 'no-store' } });
  }
  return Response.json({ path: assetPath }, { headers: { 'Cache-Control': 'no-store' } });
}
