// An out-of-memory is said in words naming the settings to lower; other failures keep their own message.
import { describe, expect, it } from 'vitest';
import { describeFailure, isOutOfMemory } from '../../../src/engine/errors';
import { tinyConfig } from './helpers';

// What the backends actually throw: tfjs-backend-wasm 4.22's release build (dist/tf-backend-wasm.js, abort()),
// V8 when a typed array cannot be had, tfjs-backend-webgl for a tensor larger than a texture.
const WASM_ABORT = 'Aborted(). Build with -sASSERTIONS for more info.';
const V8_BUFFER = 'Array buffer allocation failed';
const WEBGL_TEXTURE =
  'Requested texture size [16384x65536] greater than WebGL maximum on this browser / GPU [16384x16384].';

describe('out-of-memory messages', () => {
  it('recognises the backends’ allocation failures, and nothing else', () => {
    for (const m of [WASM_ABORT, V8_BUFFER, WEBGL_TEXTURE, 'GPUOutOfMemoryError: Out of memory']) {
      expect(isOutOfMemory(m)).toBe(true);
    }
    for (const m of ['batchSize: must be an integer', 'The WebGPU device was lost (destroyed)', 'create: no dataset']) {
      expect(isOutOfMemory(m)).toBe(false);
    }
  });

  it('names the batch size and the model width with their current values, and keeps the engine’s words', () => {
    const text = describeFailure(WASM_ABORT, tinyConfig({ batchSize: 512, width: 2, model: 'resnet18' }));
    expect(text).toMatch(/^Out of memory/);
    expect(text).toMatch(/batch size \(now 512\)/);
    expect(text).toMatch(/model width \(now 2 for resnet18\)/);
    expect(text).toContain(WASM_ABORT);
    expect(describeFailure('create: no dataset has been sent yet', tinyConfig())).toBe(
      'create: no dataset has been sent yet',
    );
  });
});
