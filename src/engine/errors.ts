// Failures said in words: an out-of-memory (wasm's bare "Aborted()", a failed GPU or buffer allocation) becomes the
// setting to lower, which is all a user can do about it.
import type { ComparisonConfig } from '../protocol/config';

const OUT_OF_MEMORY = [
  // A release wasm build aborts with no reason when malloc fails (it cannot grow its memory any further).
  /Aborted\(/,
  /out of memory/i,
  /\bOOM\b/,
  /allocation failed/i,
  /(could not|cannot|failed to) allocate/i,
  /Maximum memory size exceeded/i,
  // WebGL: a tensor too large for one texture; the same two settings make it smaller.
  /Requested texture size/i,
];

export function isOutOfMemory(message: string): boolean {
  return OUT_OF_MEMORY.some((re) => re.test(message));
}

/** The message a user reads: an out-of-memory names the batch size and the model width to lower. */
export function describeFailure(message: string, config: ComparisonConfig | null): string {
  if (!isOutOfMemory(message)) return message;
  const now = config ? ` (now ${config.batchSize})` : '';
  const width = config ? ` (now ${config.width} for ${config.model})` : '';
  return (
    `Out of memory: this comparison needs more memory than the engine has in this tab. Lower the batch size${now} ` +
    `or the model width${width} and start again. The engine said: ${message}`
  );
}
