/**
 * tfjs's cpu backend tells every Node process, on its first tensor, to install tfjs-node "to speed
 * things up dramatically". This project leaves tfjs-node out on purpose (it pins CUDA 11.2 and
 * downloads libtensorflow at install; the fast paths here are the project's own cpu and WebGPU
 * kernels), so the advice only alarms users. The banner is gated per backend instance by a
 * `firstUse` field; clearing it drops exactly that message and nothing else tfjs reports (the PROD
 * and IS_TEST flags would also hide failed backend initialisations).
 */
export function quietNodeBackendAdvice(cpuBackend: unknown): void {
  const b = cpuBackend as { firstUse?: boolean } | null;
  if (b && typeof b.firstUse === 'boolean') b.firstUse = false;
}

/** The banner's text, for filtering it where the backend instance is out of reach (test output). */
export const NODE_BACKEND_ADVICE = /install our node backend/;
