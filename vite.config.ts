import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// FTW_PORT moves the dev server (a second checkout's tests beside a running one); FTW_NO_HMR keeps
// a test run's page from reloading while files are being edited.
const port = Number(process.env.FTW_PORT ?? 5173);

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port, strictPort: true, hmr: process.env.FTW_NO_HMR ? false : undefined },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true },
  worker: { format: 'es' },
  // Pre-bundle the heavy dependencies up front: if the dev server discovers one mid-session it
  // re-optimises and reloads the page, which breaks a running e2e test.
  optimizeDeps: {
    include: [
      'react',
      'react/jsx-runtime',
      'react/jsx-dev-runtime',
      'react-dom',
      'react-dom/client',
      'zustand',
      '@niivue/niivue',
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-webgpu',
    ],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: more workers only fight over them.
    maxWorkers: 2,
  },
});
