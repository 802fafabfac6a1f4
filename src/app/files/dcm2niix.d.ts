// The Emscripten module of @niivue/dcm2niix's "jpeg" build, reached through the vite alias
// 'dcm2niix-wasm' (vite.config.ts). Typed loosely: dcm2niixBrowser.ts narrows it to core's
// Dcm2niixModule.
declare module 'dcm2niix-wasm/dcm2niix.jpeg.js' {
  const createModule: (opts: {
    print?: (s: string) => void;
    printErr?: (s: string) => void;
    locateFile?: (path: string, prefix: string) => string;
  }) => Promise<unknown>;
  export default createModule;
}
