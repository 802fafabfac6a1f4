import type { ViewerController } from '../viewer/ViewerController.ts';
import { useStatusStore } from '../stores/statusStore.ts';
import { classifyByName } from './classifyFiles.ts';
import { NIFTI_NAME } from './sniffNifti.ts';

export type FileRole = 'image' | 'label' | 'auto';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Open local files in the viewer. They are read through Blob URLs inside this tab: nothing is
 * sent anywhere. Every failure becomes one status message naming the file; the case on screen
 * stays as it was.
 */
export async function openLocalFiles(viewer: ViewerController, files: readonly File[], role: FileRole): Promise<void> {
  const status = useStatusStore.getState();
  if (files.length === 0) return;
  let image: File | null = null;
  let label: File | null = null;
  if (role === 'image') image = files[0];
  else if (role === 'label') label = files[0];
  else {
    const niftis = files.filter((f) => NIFTI_NAME.test(f.name));
    for (const f of files.filter((x) => !niftis.includes(x))) {
      status.pushMessage('error', `Could not open "${f.name}": only NIfTI files (.nii or .nii.gz) can be opened.`);
    }
    const c = classifyByName(niftis);
    image = c.image;
    label = c.label;
    for (const f of c.rejected) status.pushMessage('error', `Ignored "${f.name}": drop one image and at most one label map.`);
  }
  const urls: string[] = [];
  const source = (f: File) => {
    const url = URL.createObjectURL(f);
    urls.push(url);
    return { url, name: f.name };
  };
  try {
    if (image) {
      await viewer.loadCase(source(image), label ? source(label) : null, 'local');
      status.pushMessage('info', `Opened ${image.name}${label ? ` with ${label.name}` : ''} (local, not uploaded).`);
    } else if (label) {
      if (!viewer.hasImage) throw new Error(`Open an image before the label map "${label.name}".`);
      await viewer.loadLabels(source(label));
      status.pushMessage('info', `Opened label map ${label.name} (local, not uploaded).`);
    }
  } catch (err) {
    const text = errorText(err);
    const named = [image, label].some((f) => f && text.includes(f.name));
    status.pushMessage('error', named ? text : `Could not open "${(image ?? label)!.name}": ${text}`);
  } finally {
    // niivue has copied the bytes by now; the URLs would only pin the files in memory.
    for (const u of urls) URL.revokeObjectURL(u);
  }
}
