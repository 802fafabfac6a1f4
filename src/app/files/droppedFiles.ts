/**
 * Files from a drop or a picker, with their paths relative to what was dropped or picked: a DICOM
 * series usually arrives as a folder, and its folder name is the best name the case has.
 */

/** Relative paths of files that came out of a dropped folder (File.name is only the last part). */
const relativePaths = new WeakMap<File, string>();

/** "study/series/IM0001" for a file from a dropped or picked folder, else the file's name. */
export function relativePathOf(file: File): string {
  return relativePaths.get(file) ?? (file.webkitRelativePath || file.name);
}

/** The parts of the File and Directory Entries API this file uses (Chromium, Firefox, Safari). */
interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
}
interface FileEntry extends Entry {
  file(ok: (f: File) => void, fail: (e: unknown) => void): void;
}
interface DirectoryEntry extends Entry {
  createReader(): { readEntries(ok: (entries: Entry[]) => void, fail: (e: unknown) => void): void };
}

function fileOf(entry: FileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function entriesOf(dir: DirectoryEntry): Promise<Entry[]> {
  const reader = dir.createReader();
  const all: Entry[] = [];
  // readEntries hands out a batch at a time (100 in Chromium) until it returns none.
  for (;;) {
    const batch = await new Promise<Entry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

async function walk(entry: Entry, out: File[], failures: string[]): Promise<void> {
  const path = entry.fullPath.replace(/^\/+/, '') || entry.name;
  try {
    if (entry.isFile) {
      const f = await fileOf(entry as FileEntry);
      relativePaths.set(f, path);
      out.push(f);
    } else if (entry.isDirectory) {
      // Depth first, in listing order; the DICOM scan sorts slices by position, not by name.
      for (const child of await entriesOf(entry as DirectoryEntry)) await walk(child, out, failures);
    }
  } catch (err) {
    failures.push(`"${path}": ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Everything a drop holds, folders walked recursively. The entries must be taken while the drop
 * event is being dispatched (the DataTransfer is emptied afterwards), so call this synchronously
 * from the handler and await the result afterwards.
 */
export function collectDrop(dt: DataTransfer): Promise<{ files: File[]; failures: string[] }> {
  const entries: Entry[] = [];
  const loose: File[] = [];
  for (const item of [...dt.items]) {
    if (item.kind !== 'file') continue;
    const entry = (item as DataTransferItem & { webkitGetAsEntry?: () => Entry | null }).webkitGetAsEntry?.() ?? null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (entries.length === 0 && loose.length === 0) loose.push(...dt.files);
  return (async () => {
    const files: File[] = [...loose];
    const failures: string[] = [];
    for (const e of entries) await walk(e, files, failures);
    return { files, failures };
  })();
}

/**
 * The innermost folder a set of files shares ("series1" for study/series1/IM1, study/series1/IM2),
 * or null when they came as loose files or from unrelated folders.
 */
export function sharedFolder(paths: readonly string[]): string | null {
  let common: string[] | null = null;
  for (const p of paths) {
    const dirs = p.split('/').filter(Boolean).slice(0, -1);
    if (common === null) common = dirs;
    else {
      let n = 0;
      while (n < common.length && n < dirs.length && common[n] === dirs[n]) n++;
      common = common.slice(0, n);
    }
    if (common.length === 0) return null;
  }
  return common && common.length ? common[common.length - 1] : null;
}
