import type { ViewerController } from '../viewer/ViewerController.ts';
import { useStatusStore } from '../stores/statusStore.ts';
import { classifyByName } from './classifyFiles.ts';
import type { DicomOpener } from './dicomOpen.ts';
import { NIFTI_NAME } from './sniffNifti.ts';

export type FileRole = 'image' | 'label' | 'auto';

/** What opening NIfTI files needs of the viewer; cancelLoading lets the progress entry stop a read. */
type NiftiViewer = Pick<ViewerController, 'hasImage' | 'loadCase' | 'loadLabels'> & Partial<Pick<ViewerController, 'cancelLoading'>>;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Open local files in the viewer. They are read through Blob URLs inside this tab: nothing is
 * sent anywhere. Files not named as NIfTI go to the DICOM opener (a series, a SEG), which decides
 * from their content. Every failure becomes one status message naming the file; the case on
 * screen stays as it was.
 */
export async function openLocalFiles(
  viewer: NiftiViewer,
  files: readonly File[],
  role: FileRole,
  dicom: DicomOpener | null = null,
): Promise<void> {
  if (files.length === 0) return;
  const niftis = files.filter((f) => NIFTI_NAME.test(f.name));
  const others = files.filter((f) => !niftis.includes(f));
  if (others.length && dicom) {
    // A NIfTI in the same drop is the series' label map; if no DICOM opens, it opens on its own.
    const opened = await dicom.open(others, role === 'auto' ? niftis : []);
    if (opened || niftis.length === 0 || role !== 'auto') return;
    return openNifti(viewer, niftis, role);
  }
  return openNifti(viewer, files, role);
}

async function openNifti(
  viewer: NiftiViewer,
  files: readonly File[],
  role: FileRole,
): Promise<void> {
  const status = useStatusStore.getState();
  const mark = status.mark();
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
  // A clinical scan takes seconds to read and draw: listed as under way, with a Cancel that stops
  // the read (the case on screen stays).
  const opening = [image, label].filter((f): f is File => f !== null).map((f) => f.name).join(' and ');
  const cancel = viewer.cancelLoading ? () => void viewer.cancelLoading!() : null;
  const task = opening ? status.startTask(`Opening ${opening}…`, cancel) : null;
  try {
    if (image) {
      await viewer.loadCase(source(image), label ? source(label) : null, 'local');
      status.pushMessage('info', `Opened ${image.name}${label ? ` with ${label.name}` : ''} (local, not uploaded).`);
      status.settle(mark);
    } else if (label) {
      if (!viewer.hasImage) throw new Error(`Open an image before the label map "${label.name}".`);
      await viewer.loadLabels(source(label));
      status.pushMessage('info', `Opened label map ${label.name} (local, not uploaded).`);
      status.settle(mark);
    }
  } catch (err) {
    const text = errorText(err);
    const named = [image, label].some((f) => f && text.includes(f.name));
    status.pushMessage('error', named ? text : `Could not open "${(image ?? label)!.name}": ${text}`);
  } finally {
    if (task !== null) useStatusStore.getState().endTask(task);
    // The reads are done by now; the URLs would only pin the files in memory.
    for (const u of urls) URL.revokeObjectURL(u);
  }
}
