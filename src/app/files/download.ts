/** Save data as a file through the browser's download machinery: nothing leaves the machine. */
export function downloadFile(data: BlobPart, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
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
