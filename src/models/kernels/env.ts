/**
 * An environment variable where there is one (Node), undefined in browsers. src/models may not
 * import node: built-ins, so `process` is looked up on globalThis. No imports: wasmGemm.ts uses it
 * and is loaded by the vitest setup before every test file.
 */
export function envVar(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}
