import { ORGAN_IDS, PROJECT_LABEL_NAMES } from '../../core/labels.ts';
import type { PlacementClick, ViewerController } from '../viewer/ViewerController.ts';
import { MAX_SEED, useSynthesisStore } from '../stores/synthesisStore.ts';
import { SynthesisClient } from './synthesisClient.ts';
import { useStatusStore } from '../stores/statusStore.ts';
import { baseName, downloadBytes } from './download.ts';
import { useDicomStore } from '../stores/dicomStore.ts';

/** What the synthesis actions and panel call; owns the worker client and the placement mode. */
export interface SynthesisService {
  synthesize(): Promise<void>;
  togglePlacement(): void;
  randomPlacement(): void;
  newSeed(): void;
  toggleView(): void;
  toggleCompare(): void;
  exportCase(): Promise<void>;
  /** SEG + derived series as one zip; only for a case converted from DICOM. */
  exportDicom(): Promise<void>;
  hasCase(): boolean;
  dispose(): void;
}

const store = () => useSynthesisStore.getState();

function errorText(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.charAt(0).toUpperCase() + m.slice(1);
}

export function createSynthesisService(viewer: ViewerController, client: SynthesisClient = new SynthesisClient()): SynthesisService {
  /** Bumped on every case / label-map change: a late worker answer for an old case is dropped. */
  let generation = 0;
  let imageName = 'case';

  const caseChanged = () => {
    generation++;
    const files = viewer.caseFiles();
    client.setCase(files);
    if (files) imageName = files.image.name;
    store().clearResult();
  };
  const offs = [
    viewer.events.on('imageLoaded', caseChanged),
    viewer.events.on('labelsLoaded', caseChanged),
    // The store says which image the main view shows; compare mode pins it to the original.
    useSynthesisStore.subscribe((s, prev) => {
      if (s.view !== prev.view && !s.compare) viewer.showSynthetic(s.view === 'synthetic');
    }),
  ];

  const hasCase = () => client.hasCase;

  async function synthesize(): Promise<void> {
    const st = store();
    if (st.status === 'running') return;
    if (!client.hasCase) {
      st.fail('Open an image together with its label map to synthesise a tumour.');
      return;
    }
    const s = st.settings;
    const centre = s.placement === 'click' ? st.centre : null;
    if (s.placement === 'click' && !centre) {
      togglePlacement();
      return;
    }
    const mine = generation;
    const mark = useStatusStore.getState().mark();
    st.start();
    try {
      const r = await client.synthesize({
        organ: s.organ,
        sizeClass: s.sizeClass === 'random' ? null : s.sizeClass,
        seed: s.seed,
        count: s.count,
        avoidVessels: { enabled: s.avoidVessels, huThreshold: s.huThreshold },
        centre,
      });
      if (mine !== generation) return;
      const compare = store().compare;
      viewer.setSynthetic(r.image, r.tumourLabel, !compare);
      // Find the tumour: a random placement may land on any slice, so the view goes to it.
      const first = r.tumours[0];
      if (first) viewer.goToVoxel(...first.centreVoxel);
      store().succeed({ seed: s.seed, tumours: r.tumours, darkening: r.darkening, elapsedMs: r.elapsedMs });
      useStatusStore.getState().settle(mark);
    } catch (err) {
      if (mine !== generation) return;
      store().fail(errorText(err));
      useStatusStore.getState().pushMessage('error', `Synthesis failed: ${errorText(err)}`);
    }
  }

  function onClick(click: PlacementClick): void {
    const st = store();
    const organ = st.settings.organ;
    if (click.kind === 'not-a-slice') {
      st.setMessage('Click on a 2-D slice (axial, coronal or sagittal), not on the 3-D view.');
      return;
    }
    if (click.kind === 'outside') {
      rearm(`That click is outside the image. Click inside the ${organ}.`);
      return;
    }
    const ids = ORGAN_IDS[organ];
    const inOrgan = click.projectLabel === PROJECT_LABEL_NAMES[ids.organ] || click.projectLabel === PROJECT_LABEL_NAMES[ids.tumor];
    const where = `Voxel ${click.voxel.join(', ')}`;
    if (!inOrgan) {
      const what = click.labelName && click.labelName !== 'background' ? `in ${click.labelName.replace(/_/g, ' ')}` : 'outside every organ';
      rearm(`${where} is ${what}, not in the ${organ}: a tumour can only be placed inside the ${organ}. Click inside the ${organ}.`);
      return;
    }
    st.setCentre([click.voxel[0], click.voxel[1], click.voxel[2]]);
    st.setPlacing(false);
    void synthesize();
  }

  /** A refused click keeps the mode on: the next click tries again. */
  function rearm(message: string): void {
    viewer.armPlacement(onClick);
    store().setPlacing(true);
    store().setMessage(message);
  }

  function togglePlacement(): void {
    const st = store();
    if (st.placing) {
      viewer.cancelPlacement();
      st.setPlacing(false);
      return;
    }
    if (!client.hasCase) {
      st.fail('Open an image together with its label map to place a tumour.');
      return;
    }
    viewer.armPlacement(onClick);
    st.setPlacing(true);
  }

  function randomPlacement(): void {
    viewer.cancelPlacement();
    const st = store();
    st.setPlacing(false);
    st.update({ placement: 'random' });
    st.setCentre(null);
  }

  function newSeed(): void {
    store().update({ seed: Math.floor(Math.random() * MAX_SEED) });
  }

  function toggleView(): void {
    store().toggleView();
  }

  function toggleCompare(): void {
    const st = store();
    if (st.compare) {
      // The compare pane unmounts and detaches its niivue; the main view goes back to the toggle.
      st.setCompare(false);
      viewer.detachCompare();
      viewer.showSynthetic(store().view === 'synthetic');
    } else st.setCompare(true);
  }

  async function exportCase(): Promise<void> {
    const st = store();
    if (!st.result || st.exporting) return;
    const mine = generation;
    const mark = useStatusStore.getState().mark();
    st.setExporting(true);
    try {
      const { image, label } = await client.exportFiles();
      if (mine !== generation) return;
      const base = baseName(imageName);
      const names = { image: `${base}_synthetic.nii.gz`, label: `${base}_synthetic_label.nii.gz` };
      downloadBytes(image, names.image);
      downloadBytes(label, names.label);
      store().setExported(names);
      useStatusStore.getState().settle(mark);
    } catch (err) {
      store().setExporting(false);
      store().fail(`Export failed: ${errorText(err)}`);
      useStatusStore.getState().pushMessage('error', `Export failed: ${errorText(err)}`);
    }
  }

  async function exportDicom(): Promise<void> {
    const st = store();
    const dicom = useDicomStore.getState();
    if (!st.result || st.exporting) return;
    if (!dicom.source) {
      st.fail('DICOM export needs a case opened from a DICOM series.');
      return;
    }
    const mine = generation;
    st.setExporting(true);
    try {
      const { zip, files } = await client.exportDicom(dicom.source.series, dicom.keepIdentifiers);
      if (mine !== generation) return;
      const name = `${baseName(imageName)}_synthetic_dicom.zip`;
      downloadBytes(zip, name, 'application/zip');
      store().setExportedDicom({ zip: name, files });
    } catch (err) {
      store().setExporting(false);
      store().fail(`DICOM export failed: ${errorText(err)}`);
      useStatusStore.getState().pushMessage('error', `DICOM export failed: ${errorText(err)}`);
    }
  }

  return {
    synthesize,
    togglePlacement,
    randomPlacement,
    newSeed,
    toggleView,
    toggleCompare,
    exportCase,
    exportDicom,
    hasCase,
    dispose: () => {
      offs.forEach((off) => off());
      client.dispose();
    },
  };
}
