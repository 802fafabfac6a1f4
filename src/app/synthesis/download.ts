import { downloadFile } from '../files/download.ts';

/** Save NIfTI bytes as a file (nothing leaves the machine). */
export function downloadBytes(bytes: Uint8Array, name: string, type = 'application/gzip'): void {
  downloadFile(bytes as Uint8Array<ArrayBuffer>, name, type);
}

/** "example_ct.nii.gz" → "example_ct" (the CLI's naming). */
export function baseName(file: string): string {
  return file.replace(/^.*[/\\]/, '').replace(/\.nii(\.gz)?$/i, '');
}
