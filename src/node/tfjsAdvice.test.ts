import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { initBackend } from './backend.ts';
import { NODE_BACKEND_ADVICE } from './tfjsAdvice.ts';

describe('the tfjs "install tfjs-node" banner', () => {
  it('is not printed by Node entry points (initBackend), while a fresh cpu backend still would', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await initBackend('cpu');
      await tf.add(tf.tensor1d([1, 2]), 1).data();
      expect(warn.mock.calls.flat().some((m) => NODE_BACKEND_ADVICE.test(String(m)))).toBe(false);
      // Control: a backend that was not quieted prints it on its first tensor, so the check above can fail.
      const Ctor = tf.findBackend('cpu')!.constructor as new () => tf.KernelBackend;
      tf.registerBackend('cpu-unquieted', () => new Ctor());
      await tf.setBackend('cpu-unquieted');
      tf.tensor1d([1]).dispose();
      expect(warn.mock.calls.flat().some((m) => NODE_BACKEND_ADVICE.test(String(m)))).toBe(true);
    } finally {
      warn.mockRestore();
      await tf.setBackend('cpu');
      tf.removeBackend('cpu-unquieted');
    }
  });
});
