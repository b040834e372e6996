// The service worker's isolation: every response it hands the page carries COOP/COEP, with the body, status and the
// server's own headers unchanged, so a header-less static host still gives the page SharedArrayBuffer.
import { describe, expect, it } from 'vitest';
import { ISOLATION_HEADERS, withIsolationHeaders } from '../../../src/sw/isolation';

describe('withIsolationHeaders', () => {
  it('adds COOP and COEP and keeps the body, the status and the other headers', async () => {
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    const original = new Response(bytes, {
      status: 206,
      statusText: 'Partial Content',
      headers: { 'Content-Type': 'application/wasm', 'Cache-Control': 'no-cache' },
    });
    const isolated = withIsolationHeaders(original);
    expect(isolated.headers.get('Cross-Origin-Opener-Policy')).toBe('same-origin');
    expect(isolated.headers.get('Cross-Origin-Embedder-Policy')).toBe('require-corp');
    expect(isolated.headers.get('Content-Type')).toBe('application/wasm');
    expect(isolated.headers.get('Cache-Control')).toBe('no-cache');
    expect(isolated.status).toBe(206);
    expect(isolated.statusText).toBe('Partial Content');
    expect(new Uint8Array(await isolated.arrayBuffer())).toEqual(bytes);
  });

  it('overrides a weaker policy the host sent', () => {
    const isolated = withIsolationHeaders(
      new Response('x', { headers: { 'Cross-Origin-Embedder-Policy': 'unsafe-none' } }),
    );
    expect(isolated.headers.get('Cross-Origin-Embedder-Policy')).toBe('require-corp');
  });

  it('passes an already isolated response through untouched', () => {
    const response = new Response('x', { headers: { ...ISOLATION_HEADERS } });
    expect(withIsolationHeaders(response)).toBe(response);
  });

  it('passes an opaque response (status 0) through: it cannot be rebuilt', () => {
    const opaque = Response.error();
    expect(opaque.status).toBe(0);
    expect(withIsolationHeaders(opaque)).toBe(opaque);
  });
});
