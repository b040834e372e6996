// A plain static file server for the built app, like GitHub Pages or a USB stick's `npx serve`: it serves a folder
// under a sub-path and sends no COOP/COEP headers, so whatever isolation the page gets comes from the service worker.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain',
  '.bin': 'application/octet-stream',
};

export interface StaticServer {
  /** The app's URL, ending in the sub-path and '/'. */
  url: string;
  /** Every path answered 404, in order: a file the app asked for outside its sub-path shows up here. */
  missing: string[];
  close: () => Promise<void>;
}

export async function serveStatic(root: string, subPath = '/studio/'): Promise<StaticServer> {
  const missing: string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const relative = path.startsWith(subPath) ? path.slice(subPath.length) || 'index.html' : null;
      const file = relative === null ? null : normalize(join(root, relative));
      const info = file && file.startsWith(root + sep) ? await stat(file).catch(() => null) : null;
      if (!file || !info?.isFile()) {
        missing.push(path);
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
        // Like most static hosts: revalidate, so an updated sw.js is seen on the next check.
        'Cache-Control': 'no-cache',
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the static server has no address');
  return {
    url: `http://127.0.0.1:${address.port}${subPath}`,
    missing,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
