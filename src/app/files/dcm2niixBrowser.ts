import createModule from 'dcm2niix-wasm/dcm2niix.jpeg.js';
import wasmUrl from 'dcm2niix-wasm/dcm2niix.jpeg.wasm?url';
import type { Dcm2niixFactory, Dcm2niixModule } from '../../core/dicom/types.ts';

/**
 * dcm2niix (OpenJPEG + CharLS build) for a Web Worker. The .wasm is named explicitly: the module
 * would look for it beside itself, which holds after `vite build` but not on every dev-server path.
 */
export const browserDcm2niix: Dcm2niixFactory = async (opts) =>
  (await createModule({ ...opts, locateFile: (path, prefix) => (path.endsWith('.wasm') ? wasmUrl : prefix + path) })) as Dcm2niixModule;
