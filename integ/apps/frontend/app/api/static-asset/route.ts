import { readdir } from 'node:fs/promises';
import path from 'node:path';

// Names one hashed static asset of this build, for deployment tests that check through the CDN
// how /_next/static/ is cached (the hashed names are only known after `next build`). Reads the
// files at run time and calls no backend. The standalone server.js chdirs to its own folder, and
// `next start` runs in the app folder: either way the assets are in ./.next/static.
// Deterministic: the lexicographically first .js file directly in .next/static/chunks.
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

export async function GET() {
  const chunk = await firstChunk();
  if (!chunk) {
    return Response.json(
      { error: 'no .js file found under .next/static/chunks' },
      { status: 404, headers: { 'Cache-Control': 'no-store' } },
    );
  }
  return Response.json(
    { path: `/_next/static/chunks/${encodeURIComponent(chunk)}` },
    { headers: { 'Cache-Control': 'no-store' } },
  );
}
