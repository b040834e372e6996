// Cross-origin isolation for hosts that cannot set headers (GitHub Pages, a plain static server): the service
// worker hands every same-origin response to the page with COOP/COEP added (the coi-serviceworker technique), so the
// page gets SharedArrayBuffer and wasm its threads. Shared with vite.config.ts, which sends the same headers itself.

export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The response with the isolation headers set; an opaque or already isolated response is passed through. */
export function withIsolationHeaders(response: Response): Response {
  // An opaque response (status 0) cannot be rebuilt, and one the server isolated needs nothing.
  if (response.status === 0) return response;
  const headers = new Headers(response.headers);
  if (Object.entries(ISOLATION_HEADERS).every(([k, v]) => headers.get(k) === v)) return response;
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) headers.set(k, v);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
