/** Save bytes as a file through the browser's download machinery: nothing leaves the machine. */
export function downloadBytes(bytes: Uint8Array, name: string, type = 'application/gzip'): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has its own reference by now; a minute covers slow disks.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** "example_ct.nii.gz" → "example_ct" (the CLI's naming). */
export function baseName(file: string): string {
  return file.replace(/^.*[/\\]/, '').replace(/\.nii(\.gz)?$/i, '');
}
