/**
 * Writing an image volume (e.g. a synthetic-tumour CT) back as a derived DICOM series beside its
 * source: one CT Image object per source slice, same geometry and study, new Series/SOP UIDs.
 *
 * It must never be mistaken for the original: ImageType DERIVED\SECONDARY, a SeriesDescription
 * that has to contain "synthetic" (refused otherwise), DerivationDescription, and each slice's
 * SourceImageSequence naming the original slice it replaces.
 *
 * Pixels: every pixel's world position is mapped to the volume's voxel; they must coincide within
 * 1e-3 voxel (the volume is the series' own converted grid), else the slice is refused — nothing
 * is resampled. Stored as int16 (explicit VR little endian, uncompressed) with one RescaleSlope /
 * RescaleIntercept for the whole series: slope 1 when every value is an integer that fits, else
 * the range is spread over the int16 span (error ≤ slope / 2).
 */
import { VolumeError } from '../errors.ts';
import type { ImageVolume } from '../volume.ts';
import { voxelCount } from '../volume.ts';
import {
  checkLongString,
  dicomDateTime,
  dsList,
  equipment,
  patientStudyModules,
  roundedMm,
  sliceReference,
  uidSource,
  type WriterOptions,
} from './derivedObject.ts';
import { decimalString, text, writePart10 } from './part10.ts';
import { planeOnGrid, type PlaneOnGrid } from './planeGrid.ts';
import { SOURCE_IMAGE_PURPOSE } from './segCodes.ts';
import type { DicomDataset, DicomFileInput, DicomSeries } from './types.ts';

export interface DerivedSeriesOptions extends WriterOptions {
  /** Must say the image is synthetic, e.g. "SYNTHETIC TUMOUR — not for diagnosis" (≤ 64 characters). */
  seriesDescription: string;
  seriesNumber?: number;
  /** DerivationDescription; default says the image holds synthetic tumours made by FreeTumor. */
  derivationDescription?: string;
}

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const DEFAULT_DERIVED_SERIES_NUMBER = 1002;
export const DERIVED_GRID_TOLERANCE_VOXEL = 1e-3;
const DEFAULT_DERIVATION =
  'Synthetic tumour(s) inserted by FreeTumor Workbench into the source series; not an acquired image, not for diagnosis.';

/** Acquisition attributes of the source kept on the derived slices: technical, not identifying. */
const COPIED_TECHNICAL = ['BodyPartExamined', 'KVP', 'AcquisitionNumber', 'PatientPosition', 'ConvolutionKernel', 'WindowCenter', 'WindowWidth'];

export interface Rescale {
  slope: number;
  intercept: number;
}

/** Slope/intercept mapping [min, max] into int16, exact (slope 1) for integer data that fits. */
export function chooseRescale(min: number, max: number, allIntegers: boolean): Rescale {
  if (allIntegers && max - min <= 65535) {
    if (min >= -32768 && max <= 32767) return { slope: 1, intercept: 0 };
    return { slope: 1, intercept: min + 32768 };
  }
  if (max === min) return { slope: 1, intercept: decimalString(min) };
  const slope = decimalString((max - min) / 65534);
  const intercept = decimalString(min + 32767 * slope);
  return { slope, intercept };
}

export function writeDerivedSeries(image: ImageVolume, source: DicomSeries, opts: DerivedSeriesOptions): DicomFileInput[] {
  const where = `derived series of ${source.description || source.seriesInstanceUID || '(unnamed series)'}`;
  const description = checkLongString(opts.seriesDescription, 'SeriesDescription', where);
  if (!/synthetic/i.test(description)) {
    throw new VolumeError(where, `SeriesDescription must say the image is synthetic (got '${description}')`);
  }
  if (source.modality !== 'CT') throw new VolumeError(where, `only CT sources are supported (modality ${source.modality})`);
  if (source.slices.length === 0) throw new VolumeError(where, 'the source series has no slices');
  if (image.data.length !== voxelCount(image.dims)) {
    throw new VolumeError(where, `image has ${image.data.length} voxels for dims ${image.dims.join('×')}`);
  }
  const { rows, columns } = source;
  const places: PlaneOnGrid[] = source.slices.map((slice) => {
    const p = planeOnGrid(
      { position: slice.position, orientation: slice.orientation, pixelSpacing: source.pixelSpacing, rows, columns },
      image,
      DERIVED_GRID_TOLERANCE_VOXEL,
    );
    if (typeof p === 'string') throw new VolumeError(slice.file, `does not coincide with the image grid: slice ${p}`);
    return p;
  });

  let min = Infinity;
  let max = -Infinity;
  let allIntegers = true;
  places.forEach((place, k) => {
    for (let r = 0; r < rows; r++) {
      let idx = place.base + r * place.rowStride;
      for (let c = 0; c < columns; c++, idx += place.colStride) {
        const v = image.data[idx];
        if (!Number.isFinite(v)) throw new VolumeError(where, `image value ${v} at row ${r}, column ${c} of slice ${source.slices[k].file}`);
        if (v < min) min = v;
        if (v > max) max = v;
        if (allIntegers && !Number.isInteger(v)) allIntegers = false;
      }
    }
  });
  const { slope, intercept } = chooseRescale(min, max, allIntegers);

  const newUid = uidSource(opts);
  const seriesUid = newUid();
  const { date, time } = dicomDateTime(opts.now ?? new Date());
  const modules = patientStudyModules(source, opts);
  const digits = Math.max(4, String(source.slices.length).length);
  return source.slices.map((slice, k) => {
    const place = places[k];
    const pixels = new ArrayBuffer(rows * columns * 2);
    const view = new DataView(pixels);
    let at = 0;
    for (let r = 0; r < rows; r++) {
      let idx = place.base + r * place.rowStride;
      for (let c = 0; c < columns; c++, idx += place.colStride, at += 2) {
        const q = Math.round((image.data[idx] - intercept) / slope);
        view.setInt16(at, Math.max(-32768, Math.min(32767, q)), true);
      }
    }
    const technical: DicomDataset = {};
    for (const key of COPIED_TECHNICAL) if (slice.dataset[key] !== undefined) technical[key] = slice.dataset[key];
    // Laterality (General Series, 2C) matters for paired body parts; empty means unknown, which is
    // what we know when the source does not say.
    technical.Laterality = text(slice.dataset.Laterality);
    const ds: DicomDataset = {
      _vrMap: { PixelData: 'OW' },
      SpecificCharacterSet: 'ISO_IR 192',
      SOPClassUID: CT_IMAGE_STORAGE,
      SOPInstanceUID: newUid(),
      ...modules,
      Modality: 'CT',
      SeriesInstanceUID: seriesUid,
      SeriesNumber: opts.seriesNumber ?? DEFAULT_DERIVED_SERIES_NUMBER,
      SeriesDescription: description,
      SeriesDate: date,
      SeriesTime: time,
      ...equipment(opts),
      ImageType: ['DERIVED', 'SECONDARY', 'AXIAL'],
      InstanceNumber: k + 1,
      ContentDate: date,
      ContentTime: time,
      DerivationDescription: opts.derivationDescription ?? DEFAULT_DERIVATION,
      SourceImageSequence: [{ ...sliceReference(slice), PurposeOfReferenceCodeSequence: [{ ...SOURCE_IMAGE_PURPOSE }] }],
      BurnedInAnnotation: 'NO',
      KVP: '',
      AcquisitionNumber: '',
      ...technical,
      ImagePositionPatient: dsList(slice.position),
      ImageOrientationPatient: dsList(slice.orientation),
      PixelSpacing: dsList(source.pixelSpacing),
      SliceThickness: Number(slice.dataset.SliceThickness) > 0 ? slice.dataset.SliceThickness : roundedMm(source.sliceSpacing),
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: rows,
      Columns: columns,
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      RescaleIntercept: intercept,
      RescaleSlope: slope,
      RescaleType: 'HU',
      // Once lossy, always flagged (PS3.3 C.7.6.1.1.5); our int16 quantisation is not compression.
      LossyImageCompression: text(slice.dataset.LossyImageCompression) === '01' ? '01' : '00',
      PixelData: [pixels],
    };
    delete ds.DeviceSerialNumber; // CT's General Equipment does not need it; ours would only confuse
    const name = `synthetic_${String(k + 1).padStart(digits, '0')}.dcm`;
    return { name, bytes: writePart10(ds) };
  });
}
