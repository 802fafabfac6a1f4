import { downloadFile } from '../../files/download.ts';

/** Save text as a file in the browser (nothing is uploaded). */
export function download(name: string, text: string, type = 'application/json'): void {
  downloadFile(text, name, type);
}

export async function fileBytes(f: File): Promise<Uint8Array> {
  return new Uint8Array(await f.arrayBuffer());
}

export function fmt(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(0)} %`;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
