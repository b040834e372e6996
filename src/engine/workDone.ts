// Waiting for a backend to finish the work queued so far, without reading anything back where the backend allows it.
import * as tf from '@tensorflow/tfjs';

/** What tfjs-backend-webgpu's backend holds: its device, and the call that sends the commands encoded so far. */
interface QueueOwner {
  device?: GPUDevice;
  ensureCommandEncoderReady?: () => void;
  endComputePassEncoder?: () => void;
  submitQueue?: () => void;
}

/**
 * Resolves once the work queued so far has run. On WebGPU that is the queue's own signal: no buffer is mapped and
 * nothing crosses to the CPU, so a step that does not report reads nothing back. Elsewhere it reads `probe` (one
 * float): on wasm and cpu that is a copy in memory; on WebGL the only wait TF.js offers.
 */
export async function workDone(probe: tf.Tensor): Promise<void> {
  const backend = tf.backend() as unknown as QueueOwner;
  if (
    backend.device?.queue &&
    backend.submitQueue &&
    backend.ensureCommandEncoderReady &&
    backend.endComputePassEncoder
  ) {
    // As the backend's own read does before it submits, minus the copy to a buffer the CPU can map.
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
    return;
  }
  await probe.data();
}
