// Starting a backend, and always the reason a faster one was not used. "auto" here is the fixed order WebGPU, WebGL,
// WASM, CPU; the page's own "auto" measures them instead (src/runner/measureBackends.ts) and forces the fastest.
// WASM comes before CPU: out of the box it cannot train conv nets (no Conv2DBackpropFilter), so the engine adds that
// kernel (wasm-kernels.ts), which makes it the fastest CPU path by far (docs/performance.md).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { registerWasmTrainingKernels } from './wasm-kernels';
import { prepareWasm, wasmThreadsNote } from './wasmThreads';
import type { BackendChoice, BackendName } from '../protocol/config';
import type { BackendInfo } from '../protocol/report';

const AUTO_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

interface Probe {
  ok: boolean;
  why: string;
  adapter?: string;
  /** Set when the device is a CPU emulation (e.g. "software adapter: SwiftShader"): correct, but slow. */
  software?: string;
}

/** The emulator's own name where it is a known one (SwiftShader, llvmpipe, ...), else the description as given. */
function emulatorName(description: string): string {
  const known = /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render/i.exec(description);
  if (!known) return description;
  return known[0].toLowerCase() === 'swiftshader' ? 'SwiftShader' : known[0];
}

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render driver/i;

async function probeWebGpu(): Promise<Probe> {
  const gpu = (globalThis.navigator as (Navigator & { gpu?: GPU }) | undefined)?.gpu;
  if (!gpu) return { ok: false, why: 'WebGPU: navigator.gpu is missing (no WebGPU in this browser or context)' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { ok: false, why: `WebGPU: requestAdapter failed (${String(e)})` };
  }
  if (!adapter) return { ok: false, why: 'WebGPU: no adapter (GPU blocked, or the flag is off)' };
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  // Newer Chromium moved the flag from the adapter to its info; a fallback adapter is a software emulation.
  const fallback =
    (info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const name = [info?.vendor, info?.architecture, info?.description].filter((s) => s).join(' ') || 'unknown adapter';
  const software = fallback || SOFTWARE_RENDERER.test(name) ? `software adapter: ${emulatorName(name)}` : undefined;
  return { ok: true, why: '', adapter: fallback ? `${name} (fallback adapter, software)` : name, software };
}

/** The renderer behind a WebGL context; WEBGL_debug_renderer_info gives the real one where RENDERER is masked. */
function webGlRenderer(gl: WebGL2RenderingContext): string {
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer: unknown = gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  return typeof renderer === 'string' && renderer ? renderer : 'unknown renderer';
}

function probeWebGl(): Probe {
  if (typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') {
    return { ok: false, why: 'WebGL: no canvas in this context' };
  }
  try {
    const canvas =
      typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    const gl = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
    if (!gl) return { ok: false, why: 'WebGL: no WebGL 2 context' };
    if (!gl.getExtension('EXT_color_buffer_float')) {
      return { ok: false, why: 'WebGL: no float render targets (EXT_color_buffer_float)' };
    }
    const renderer = webGlRenderer(gl);
    const software = SOFTWARE_RENDERER.test(renderer) ? `software renderer: ${emulatorName(renderer)}` : undefined;
    return { ok: true, why: '', adapter: renderer, software };
  } catch (e) {
    return { ok: false, why: `WebGL: ${String(e)}` };
  }
}

async function probe(name: BackendName, threads?: number): Promise<Probe> {
  if (name === 'webgpu') return probeWebGpu();
  if (name === 'webgl') return probeWebGl();
  if (name === 'cpu') return { ok: true, why: '' };
  if (name === 'wasm') {
    if (typeof WebAssembly === 'undefined') return { ok: false, why: 'WASM: WebAssembly is missing' };
    try {
      prepareWasm(threads);
    } catch {
      // tfjs-backend-wasm refuses new paths once its binary failed to load: every later selection would throw here.
      return { ok: false, why: 'WASM: its binary failed to load earlier in this page' };
    }
    registerWasmTrainingKernels();
    return { ok: true, why: '' };
  }
  return { ok: false, why: `${name}: not available in this build` };
}

/**
 * tf.setBackend('webgpu') would hand back the instance holding the dead device: drop it and register the same
 * factory again, so the next setBackend asks for a new device.
 */
function replaceLostWebGpuBackend(): void {
  const factory = tf.findBackendFactory('webgpu');
  if (!factory) return;
  try {
    tf.removeBackend('webgpu');
  } catch {
    // Disposing a backend whose device is gone may throw; the instance is dropped all the same.
  }
  tf.registerBackend('webgpu', factory, 3);
  deviceLost = false;
}

/** The order backends are tried in: the fastest first, or the one asked for and then the rest, fastest first. */
export function backendOrder(choice: BackendChoice): BackendName[] {
  return choice === 'auto' ? [...AUTO_ORDER] : [choice, ...AUTO_ORDER.filter((b) => b !== choice)];
}

/**
 * Why `name` is in use, given the reasons of the backends tried before it (in order). `because` is the reason for a
 * choice made elsewhere (the page's measurement of every backend), instead of "chosen by the user".
 */
export function backendReason(
  choice: BackendChoice,
  name: BackendName,
  skipped: readonly string[],
  because?: string,
): string {
  if (skipped.length === 0)
    return choice === 'auto' ? `${name}: the fastest backend available` : (because ?? `${name}: chosen by the user`);
  const forced = choice !== 'auto' && choice !== name ? `${choice} was asked for but is unavailable. ` : '';
  return `${forced}${skipped.join('; ')}`;
}

/** Whether a backend's device is a CPU emulation, in words (e.g. "software renderer: SwiftShader"); null if not. */
export async function softwareEmulation(name: BackendName): Promise<string | null> {
  return (await probe(name)).software ?? null;
}

/** Picks and activates a backend; throws only if even the CPU backend cannot start. */
/** threads: wasm threads, where wasm starts (default one per core; a pool of engines shares the cores). */
export async function selectBackend(choice: BackendChoice, because?: string, threads?: number): Promise<BackendInfo> {
  const order = backendOrder(choice);
  const skipped: string[] = [];
  for (const name of order) {
    const p = await probe(name, threads);
    if (!p.ok) {
      skipped.push(p.why);
      continue;
    }
    let ok = false;
    try {
      if (name === 'webgpu' && deviceLost) replaceLostWebGpuBackend();
      ok = await tf.setBackend(name);
    } catch (e) {
      skipped.push(`${name}: failed to start (${String(e)})`);
      continue;
    }
    if (!ok) {
      skipped.push(`${name}: failed to start`);
      continue;
    }
    await tf.ready();
    const reason = backendReason(choice, name, skipped, because);
    return { name, reason: name === 'wasm' ? `${reason} · ${wasmThreadsNote()}` : reason, adapter: p.adapter };
  }
  throw new Error(`No TF.js backend could start: ${skipped.join('; ')}`);
}

function webGpuDevice(): GPUDevice | undefined {
  return (tf.backend() as unknown as { device?: GPUDevice }).device;
}

/** Set when the WebGPU backend's device is lost: that backend instance is useless from then on. */
let deviceLost = false;
const watched = new WeakSet<GPUDevice>();

/**
 * Calls `onLost` if the active backend is WebGPU and its device is lost (driver reset, GPU removed, tab throttled,
 * or loseWebGpuDevice). Returns nothing to undo: a lost device never comes back, a new backend is set up instead.
 */
export function watchDeviceLoss(onLost: (message: string) => void): void {
  if (tf.getBackend() !== 'webgpu') return;
  const device = webGpuDevice();
  // Every 'init' lands here, but a device is lost once: one report of it.
  if (!device || watched.has(device)) return;
  watched.add(device);
  void device.lost.then((info) => {
    deviceLost = true;
    onLost(`The WebGPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`);
  });
}

/**
 * Drops the active GPU backend's device (WebGPU: destroyed; WebGL: context lost) before its worker is terminated, so
 * the browser's GPU process can drop the work still queued there (minutes of it on a software emulation) instead
 * of finishing it for nobody. Nothing to do on wasm or cpu.
 */
export function abandonDevice(): void {
  const active = tf.getBackend();
  if (active === 'webgpu') webGpuDevice()?.destroy();
  if (active === 'webgl') {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

/** Destroys the active WebGPU backend's device: a real loss, its `lost` promise resolves with reason 'destroyed'. */
export function loseWebGpuDevice(): void {
  const active = tf.getBackend();
  const device = active === 'webgpu' ? webGpuDevice() : undefined;
  if (!device) throw new Error(`loseDevice: the active backend is ${active}, not webgpu; there is no device to lose`);
  device.destroy();
}
