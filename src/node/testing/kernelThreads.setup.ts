/**
 * Vitest setup (vite.config.ts test.setupFiles): with FREETUMOR_THREADS=N set, the cpu conv
 * kernels of every test file run on N threads, as in the CLI; unset, tests keep one thread (the
 * suite already runs two files at a time on this machine's two cores). The imports are dynamic so
 * that files which never touch tfjs do not pay for loading it (≈ 3 s per file).
 */
if (process.env.FREETUMOR_THREADS) {
  const { configureKernelThreads } = await import('../../models/kernels/index.ts');
  const { kernelThreadCount, nodeKernelWorkerSpawner } = await import('../kernelWorkers.ts');
  const info = await configureKernelThreads({ threads: kernelThreadCount(), spawn: nodeKernelWorkerSpawner });
  if (info.reason) throw new Error(`FREETUMOR_THREADS=${process.env.FREETUMOR_THREADS}: only ${info.threads} kernel thread(s): ${info.reason}`);
}
export {};
