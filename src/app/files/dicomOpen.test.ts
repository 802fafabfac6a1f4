// The app's DICOM open, end to end in Node: the real DicomSession (core scan, dcm2niix WASM, SEG
// reader) with Node's dcm2niix build; only the viewer is a recorder (niivue needs WebGL).
import { readFileSync, readdirSync } from 'node:fs';
import { resolveObjectURL } from 'node:buffer';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import dcmjs from 'dcmjs';
import { readNifti } from '../../core/nifti/index.ts';
import { seriesUidOf } from '../../core/dicom/derivedObject.ts';
import { writeSeg } from '../../core/dicom/segWrite.ts';
import { loadDcm2niix } from '../../node/dicom.ts';
import { CT3_DIR, CT_J2K_DIR, dicomFixturesPresent } from '../../node/testing/dicomFixtures.ts';
import { useDicomStore, type ChooserState, type MappingState } from '../stores/dicomStore.ts';
import { useStatusStore } from '../stores/statusStore.ts';
import type { VolumeSource } from '../viewer/ViewerController.ts';
import type { DicomQuestions } from './dicomDialogs.ts';
import { createDicomOpener, seriesImageName, type DicomViewer } from './dicomOpen.ts';
import { DicomSession } from './dicomSession.ts';
import { openLocalFiles } from './openLocalFiles.ts';

const present = dicomFixturesPresent('the app DICOM open tests');

/** Files of a fixture folder as a drop of that folder (relative paths "folder/name"). */
function folderDrop(dir: string, only: (name: string) => boolean = () => true): File[] {
  const folder = dir.split('/').pop()!;
  return readdirSync(dir)
    .filter(only)
    .sort()
    .map((n) => new File([readFileSync(join(dir, n))], `${folder}/${n}`));
}

async function niftiAt(src: VolumeSource) {
  const blob = resolveObjectURL(src.url);
  if (!blob) throw new Error(`${src.url} was revoked before the viewer read it`);
  return readNifti(new Uint8Array(await blob.arrayBuffer()), src.name);
}

function recordingViewer() {
  const calls: string[] = [];
  const read: { image?: Awaited<ReturnType<typeof niftiAt>>; label?: Awaited<ReturnType<typeof niftiAt>> } = {};
  const viewer: DicomViewer = {
    loadCase: async (image, label, source) => {
      read.image = await niftiAt(image);
      if (label) read.label = await niftiAt(label);
      calls.push(`case:${image.name}+${label?.name ?? '-'}:${source}`);
    },
    loadLabels: async (label) => {
      read.label = await niftiAt(label);
      calls.push(`labels:${label.name}`);
    },
  };
  return { viewer, calls, read };
}

function answering(series: (c: ChooserState) => string | null, mapping: (m: MappingState) => [number, number][] | null = () => null) {
  const asked: string[] = [];
  const q: DicomQuestions = {
    chooseSeries: async (c) => {
      asked.push(`series:${c.series.length}`);
      return series(c);
    },
    mapSegments: async (m) => {
      asked.push(`mapping:${m.file}:${m.segments.map((s) => `${s.label}=${s.guess}`).join(',')}`);
      return mapping(m);
    },
  };
  return { q, asked };
}

const messages = () => useStatusStore.getState().messages.map((m) => `${m.level}:${m.text}`);

/** Set bits of a binary SEG's frames: its voxel count whatever grid it lands on. */
function segVoxels(bytes: Uint8Array): number {
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(bytes.slice().buffer as ArrayBuffer).dict);
  const pixels = new Uint8Array(ds.PixelData[0] as ArrayBuffer);
  const bits = ds.Rows * ds.Columns * Number(ds.NumberOfFrames);
  let n = 0;
  for (let b = 0; b < bits; b++) if (pixels[b >> 3] & (1 << (b & 7))) n++;
  return n;
}

/** liver.dcm with its one segment renamed to words no rule knows, so the mapping dialog is needed. */
function unnamedSeg(): File {
  const parsed = dcmjs.data.DicomMessage.readFile(readFileSync(join(CT3_DIR, 'liver.dcm')).buffer as ArrayBuffer);
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.dict);
  const seg = ds.SegmentSequence[0] ?? ds.SegmentSequence;
  seg.SegmentLabel = 'Region A';
  const type = seg.SegmentedPropertyTypeCodeSequence[0] ?? seg.SegmentedPropertyTypeCodeSequence;
  type.CodeMeaning = 'Tissue';
  delete seg.AnatomicRegionSequence;
  const out = new dcmjs.data.DicomDict(parsed.meta);
  out.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  return new File([new Uint8Array(out.write())], 'region.dcm');
}

describe.runIf(present)('the app DICOM open (Node, real converter)', () => {
  let session: DicomSession;
  beforeAll(async () => {
    session = new DicomSession(await loadDcm2niix());
  });
  beforeEach(() => {
    useStatusStore.getState().reset();
    useDicomStore.getState().reset();
  });

  it('opens a dropped folder: series converted, its SEG as the label map, skipped files named', async () => {
    const { viewer, calls, read } = recordingViewer();
    const { q, asked } = answering(() => null);
    const opener = createDicomOpener(viewer, session, q);
    const stages = new Set<string>();
    const off = useDicomStore.subscribe((s) => s.progress && stages.add(s.progress.stage));
    expect(await opener.open(folderDrop(CT3_DIR))).toBe(true);
    off();
    expect(asked).toEqual([]);
    expect(calls).toEqual(['case:dcmqi-ct-3slice.nii.gz+-:dicom', 'labels:liver (DICOM SEG).nii.gz']);
    expect(read.image!.volume.dims).toEqual([512, 512, 3]);
    const src = useDicomStore.getState().source!;
    expect(src.imageName).toBe('dcmqi-ct-3slice.nii.gz');
    expect(src.grid.dims).toEqual([512, 512, 3]);
    expect(src.grid.affine).toEqual([...read.image!.volume.affine]);
    // Project ids on the image's grid: the liver, every SEG voxel of it.
    const label = read.label!.volume;
    expect(label.dims).toEqual([512, 512, 3]);
    const ids = new Map<number, number>();
    for (const v of label.data) ids.set(v, (ids.get(v) ?? 0) + 1);
    expect([...ids.keys()].sort()).toEqual([0, 1]);
    expect(ids.get(1)).toBe(segVoxels(readFileSync(join(CT3_DIR, 'liver.dcm'))));
    expect(['reading', 'scanning', 'converting'].filter((st) => stages.has(st))).toEqual(['reading', 'scanning', 'converting']);
    expect(useDicomStore.getState().progress).toBeNull();
    const text = messages().join('\n');
    expect(text).toMatch(/Opened the DICOM series .*3 slices, as dcmqi-ct-3slice\.nii\.gz/);
    expect(text).toMatch(/Skipped 2 files: "dcmqi-ct-3slice\/liver_seg\.nrrd" \(/);
    expect(text).toMatch(/Opened the DICOM SEG "dcmqi-ct-3slice\/liver\.dcm" .*Liver → liver/);
  });

  it('asks for a mapping when a segment has unknown words, and loads it as answered', async () => {
    const { viewer, calls, read } = recordingViewer();
    const { q, asked } = answering(() => null, (m) => [[m.segments[0].number, 1]]);
    const opener = createDicomOpener(viewer, session, q);
    await opener.open(folderDrop(CT3_DIR, (n) => /ct-3slice_\d\d\.dcm$/.test(n)));
    expect(await opener.open([unnamedSeg()])).toBe(true);
    expect(asked).toEqual(['mapping:region.dcm:Region A=null']);
    expect(calls[1]).toBe('labels:region (DICOM SEG).nii.gz');
    expect(read.label!.volume.data.some((v) => v === 1)).toBe(true);

    // Cancelled: nothing loads, and the user is told.
    const cancel = answering(() => null, () => null);
    const viewer2 = recordingViewer();
    const opener2 = createDicomOpener(viewer2.viewer, session, cancel.q);
    await opener2.open([unnamedSeg()]);
    expect(viewer2.calls).toEqual([]);
    expect(messages().at(-1)).toMatch(/"region\.dcm" was not loaded \(mapping cancelled\)/);
  });

  it('refuses a SEG of another series, naming both series UIDs', async () => {
    const { viewer, calls } = recordingViewer();
    const opener = createDicomOpener(viewer, session, answering(() => null).q);
    await opener.open(folderDrop(CT_J2K_DIR));
    const src = useDicomStore.getState().source!;
    // This series was exported without a Series Instance UID: the app names it by the writer's stable UID.
    expect(src.series.seriesInstanceUID).toBe('');
    expect(src.referenceUID).toBe(seriesUidOf(src.series));
    const seg = new File([readFileSync(join(CT3_DIR, 'liver.dcm'))], 'liver.dcm');
    expect(await opener.open([seg])).toBe(false);
    expect(calls).toEqual(['case:example_ct_dicom.nii.gz+-:dicom']);
    const last = messages().at(-1)!;
    expect(last).toMatch(/^error:Refused the DICOM SEG "liver\.dcm": it labels series 1\.[\d.]+, but the open series is 2\.25\.\d+ \(the series has no Series Instance UID/);
    expect(last).toContain(src.referenceUID);
    expect(useDicomStore.getState().source).toBe(src);

    // A SEG the workbench wrote for this series references that UID, so it is taken.
    const [nx, ny, nz] = src.grid.dims;
    const data = new Uint8Array(nx * ny * nz);
    for (let k = 3; k < 6; k++) for (let j = 100; j < 140; j++) for (let i = 300; i < 350; i++) data[i + nx * (j + ny * k)] = 1;
    const own = writeSeg({ dims: src.grid.dims, affine: src.grid.affine, data }, src.series, [{ labelId: 1, label: 'Liver', description: 'test' }], { keepIdentifiers: false });
    expect(await opener.open([new File([own], 'SEG.dcm')])).toBe(true);
    expect(calls[1]).toBe('labels:SEG (DICOM SEG).nii.gz');
  });

  it('a broken series or a non-DICOM file: one message naming the problem and the file, nothing opened', async () => {
    const { viewer, calls } = recordingViewer();
    const { q, asked } = answering(() => null);
    const opener = createDicomOpener(viewer, session, q);
    const all = folderDrop(CT_J2K_DIR);
    const missing = all[9].name;
    expect(await opener.open(all.filter((f) => f.name !== missing))).toBe(false);
    const text = messages().at(-1)!;
    expect(text).toMatch(/^error:Could not open the DICOM series .*\(19 files\): /);
    // The neighbours of the gap are named.
    expect(text).toContain(all[8].name.split('/')[1]);
    // The dialog lists it in full (it can only be closed).
    expect(asked).toEqual(['series:1']);
    expect(await opener.open([new File(['hello'], 'notes.txt')])).toBe(false);
    expect(messages().at(-1)).toMatch(/^error:Could not open "notes\.txt": neither NIfTI \(\.nii, \.nii\.gz\) nor a DICOM image series — "notes\.txt" \(/);
    expect(calls).toEqual([]);
    expect(useDicomStore.getState().source).toBeNull();
  });

  it('several series: the chooser lists them; the chosen one opens, cancel opens none', async () => {
    const drop = [...folderDrop(CT3_DIR, (n) => /ct-3slice_\d\d\.dcm$/.test(n)), ...folderDrop(CT_J2K_DIR)];
    const { viewer, calls } = recordingViewer();
    let listed: ChooserState | null = null;
    const pick = answering((c) => {
      listed = c;
      return c.series.find((s) => s.slices === 3)!.uid;
    });
    expect(await createDicomOpener(viewer, session, pick.q).open(drop)).toBe(true);
    expect(listed!.series.map((s) => s.slices).sort()).toEqual([20, 3]);
    expect(listed!.series.every((s) => s.summary.includes('512×512') && s.problems.length === 0)).toBe(true);
    expect(calls).toEqual(['case:dcmqi-ct-3slice.nii.gz+-:dicom']);

    const none = recordingViewer();
    expect(await createDicomOpener(none.viewer, session, answering(() => null).q).open(drop)).toBe(false);
    expect(none.calls).toEqual([]);
    expect(messages().at(-1)).toBe('info:No DICOM series opened.');
  });

  it('hands out a scan that structured clone (postMessage) can carry; release forgets only that drop', async () => {
    const drop = folderDrop(CT3_DIR).map((file) => ({ name: file.name, file }));
    const { scan, scanId } = await session.scan(drop);
    const copy = structuredClone(scan);
    expect(copy.series[0].slices[0].dataset.PatientID).toBe('99000');
    expect(copy.segs.map((x) => x.file)).toEqual(['dcmqi-ct-3slice/liver.dcm']);
    session.release(scanId + 1);
    const uid = scan.series[0].seriesInstanceUID;
    expect((await session.convert(scanId, uid)).grid.dims).toEqual([512, 512, 3]);
    session.release(scanId);
    await expect(session.convert(scanId, uid)).rejects.toThrow('no longer held');
  });

  it('names a series after its folder, with the description when a folder holds several', () => {
    const s = (uid: string, description: string, files: string[]) =>
      ({ seriesInstanceUID: uid, description, seriesNumber: 3, slices: files.map((file) => ({ file })) }) as never;
    const a = s('1', 'CT Body 3.0', ['study/a/1', 'study/a/2']);
    expect(seriesImageName(a, { series: [a], segs: [], skipped: [] })).toBe('a.nii.gz');
    const b = s('2', 'Lung 1.0', ['study/a/3']);
    expect(seriesImageName(b, { series: [a, b], segs: [], skipped: [] })).toBe('a_Lung_1.0.nii.gz');
    const loose = s('3', '', ['IM1']);
    expect(seriesImageName(loose, { series: [loose], segs: [], skipped: [] })).toBe('series3.nii.gz');
  });
});

describe('openLocalFiles routing', () => {
  beforeEach(() => useStatusStore.getState().reset());

  it('sends non-NIfTI files to the DICOM opener with the NIfTIs of the drop, and falls back when nothing opens', async () => {
    const seen: string[] = [];
    const fake = (opens: boolean) => ({
      open: async (files: readonly File[], niftis: readonly File[] = []) => {
        seen.push(`${files.map((f) => f.name).join(',')}|${niftis.map((f) => f.name).join(',')}`);
        return opens;
      },
    });
    const loads: string[] = [];
    const viewer = {
      hasImage: false,
      loadCase: async (image: VolumeSource) => void loads.push(image.name),
      loadLabels: async () => undefined,
    };
    const f = (name: string) => new File([new Uint8Array(4)], name);
    await openLocalFiles(viewer, [f('IM1'), f('IM2'), f('seg.nii.gz')], 'auto', fake(true));
    await openLocalFiles(viewer, [f('notes.txt'), f('ct.nii.gz')], 'auto', fake(false));
    await openLocalFiles(viewer, [f('liver.dcm')], 'label', fake(true));
    expect(seen).toEqual(['IM1,IM2|seg.nii.gz', 'notes.txt|ct.nii.gz', 'liver.dcm|']);
    // The NIfTI opened on its own once the DICOM opener found nothing.
    expect(loads).toEqual(['ct.nii.gz']);
  });
});
