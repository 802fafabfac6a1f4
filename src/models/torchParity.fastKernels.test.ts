/**
 * The PyTorch parity test again, with the fast cpu kernels registered (registerFastKernels): the
 * convolutions, elementwise / reduction / layout / pooling fast paths, and unet.ts's
 * conv3dTranspose upsampling that they enable. Vitest runs each file in its own module graph, so
 * torchParity.test.ts keeps checking the stock kernels.
 */
import { expect, it } from 'vitest';
import { fastKernelsActive, registerFastKernels } from './kernels/index.ts';

const res = registerFastKernels({ backends: ['cpu'], stock: false });
await import('./torchParity.test.ts');

it('ran with the fast cpu kernels', () => {
  expect(res.registered).toContain('cpu_Conv3D');
  expect(fastKernelsActive('cpu')).toBe(true);
});
