// How "auto" ranks what the probes measured and says why: the fastest finished candidate wins; one that never
// finished a step counts as too slow; the reason lists every candidate with its figure and any software emulation.
import { describe, expect, it } from 'vitest';
import { measurementText, pickBackend, stepsPerSecond } from '../../../src/store/backendChoice';
import type { Measurement } from '../../../src/runner/measureBackends';

function measured(backend: Measurement['backend'], stepSeconds: number[], extra: Partial<Measurement> = {}) {
  return {
    backend,
    started: true,
    failure: null,
    software: null,
    untimed: false,
    stepSeconds,
    boundSeconds: 8,
    ...extra,
  };
}

// Shaped like this machine's figures for a tiny net (shared notes, browser.md): first step compiles, then steady.
const wasm = measured('wasm', [0.09, 0.05, 0.05, 0.05]);
const webgl = measured('webgl', [1.95, 0.1, 0.11], { software: 'software renderer: SwiftShader' });
const webgpu = measured('webgpu', [], { software: 'software adapter: SwiftShader' });

describe('choosing a backend from measurements', () => {
  it('steady steps/s leave out the first (compiling) step', () => {
    expect(stepsPerSecond(wasm)).toBeCloseTo(20, 6);
    expect(stepsPerSecond(measured('wasm', [2]))).toBeCloseTo(0.5, 6);
    expect(stepsPerSecond(webgpu)).toBeNull();
  });

  it('picks the fastest; a candidate without a finished step ranks below every timed one', () => {
    expect(pickBackend([wasm, webgl, webgpu])).toBe('wasm');
    expect(pickBackend([measured('wasm', [1, 1]), measured('webgl', [3, 0.2])])).toBe('webgl');
    // Nothing finished: a hardware GPU is the better guess than wasm; software emulations are not.
    const slow = (b: Measurement['backend'], software: string | null) => measured(b, [], { software });
    expect(pickBackend([slow('wasm', null), slow('webgpu', null)])).toBe('webgpu');
    expect(pickBackend([slow('wasm', null), slow('webgpu', 'software adapter: SwiftShader')])).toBe('wasm');
    // wasm too slow even to start on a busy machine is still a better guess than a software emulation.
    const late = measured('wasm', [], { started: false });
    expect(pickBackend([late, slow('webgl', 'software renderer: SwiftShader')])).toBe('wasm');
    expect(pickBackend([measured('wasm', [], { started: false, failure: 'no WebAssembly' })])).toBeNull();
  });

  it('says every figure, fastest first, naming the software emulations', () => {
    expect(measurementText([webgpu, webgl, wasm])).toBe(
      'wasm 20.0 steps/s · WebGL 9.5 steps/s (software renderer: SwiftShader) · ' +
        'WebGPU: too slow, no step within 8 s (software adapter: SwiftShader)',
    );
    // A software emulation after a timed wasm is left untimed: its steps would freeze the page's frames.
    const untimed = measured('webgpu', [], { software: 'software adapter: SwiftShader', untimed: true });
    expect(pickBackend([wasm, untimed])).toBe('wasm');
    expect(measurementText([untimed, wasm])).toBe(
      'wasm 20.0 steps/s · WebGPU: not timed, an emulation on the CPU that stops the page drawing ' +
        '(software adapter: SwiftShader)',
    );
    expect(measurementText([measured('webgpu', [], { started: false, failure: 'no adapter' })])).toBe(
      'WebGPU: did not start (no adapter)',
    );
  });
});
