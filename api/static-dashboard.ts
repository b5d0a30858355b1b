import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export const DASHBOARD_DIR = fileURLToPath(new URL('../client/build/', import.meta.url));

/**
 * Serves the built dashboard (client/build) at `/`: files as they are, hashed assets
 * cached for good, and index.html for any other path so deep links to client routes
 * (/webhooks/whk_…) load the app. Only GET and HEAD reach it.
 */
export function createDashboardHandler(dir = DASHBOARD_DIR) {
  const rootDir = path.resolve(dir);
  return function serveDashboard(req: IncomingMessage, res: ServerResponse): void {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad path');
      return;
    }
    if (pathname.includes('\0')) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad path: it contains a NUL character');
      return;
    }
    const file = path.resolve(rootDir, `.${pathname}`);
    // Never outside the build folder, whatever ../ or encoded slashes say.
    const inside = file === rootDir || file.startsWith(rootDir + path.sep);
    if (inside && !path.basename(file).startsWith('.') && isFile(file)) return sendFile(req, res, file, pathname);
    // A missing asset (a path with an extension) is a 404, not the app shell.
    if (path.extname(pathname)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...HEADERS }).end('not found');
      return;
    }
    const index = path.join(rootDir, 'index.html');
    if (isFile(index)) return sendFile(req, res, index, '/index.html');
    res
      .writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30', ...HEADERS })
      .end('The dashboard is not built. Run `npm run build:client` (npm start does it when the build is missing or stale).\nThe GraphQL API is at /graphql.\n');
  };
}

/** Whether `file` is a regular file; a name the file system refuses (too long, a NUL, a file as a folder) is none. */
function isFile(file: string): boolean {
  try {
    return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, pathname: string): void {
  const stat = fs.statSync(file);
  // Vite puts a content hash in every name under _app/immutable; everything else may change with a new build.
  const cache = pathname.startsWith('/_app/immutable/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': stat.size,
    'cache-control': cache,
    'last-modified': stat.mtime.toUTCString(),
    ...HEADERS,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  fs.createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}
