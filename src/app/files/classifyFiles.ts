/** Which of a set of dropped files is the image and which the label map. */
export interface Classified<T> {
  image: T | null;
  label: T | null;
  rejected: T[];
}

// "gt" only as a whole token: as a substring it hides in names like "lungtumour".
const LABEL_HINT = /seg|label|mask|annot|truth|(^|[^a-z])gt([^a-z]|$)/i;

/**
 * By name: label maps are conventionally named *seg*, *label*, *mask*. With two files and no hint
 * the first is taken as the image. Anything beyond one image and one label is rejected.
 */
export function classifyByName<T extends { name: string }>(files: readonly T[]): Classified<T> {
  const out: Classified<T> = { image: null, label: null, rejected: [] };
  const hinted = files.filter((f) => LABEL_HINT.test(stripExt(f.name)));
  const rest = files.filter((f) => !hinted.includes(f));
  for (const f of hinted) {
    if (!out.label) out.label = f;
    else if (!out.image && rest.length === 0) out.image = f;
    else out.rejected.push(f);
  }
  for (const f of rest) {
    if (!out.image) out.image = f;
    else if (!out.label) out.label = f;
    else out.rejected.push(f);
  }
  return out;
}

function stripExt(name: string): string {
  return name.replace(/\.nii(\.gz)?$/i, '');
}
