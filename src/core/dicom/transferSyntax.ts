/**
 * Transfer syntaxes by name, and which of them the converter decodes.
 *
 * "Supported" means the WASM dcm2niix we ship (its "jpeg" build: OpenJPEG + CharLS, plus
 * dcm2niix's own RLE, lossless-JPEG and baseline-JPEG decoders) reads the pixel data. The list
 * follows dcm2niix's own switch on the transfer syntax (console/nii_dicom.cpp, v1.0.20241231).
 * Refused by us although dcm2niix names them:
 * - HTJ2K (…4.201, …4.203): dcm2niix hands them to OpenJPEG, whose HTJ2K decoding in this build
 *   is unverified; …4.202 dcm2niix does not accept at all. A wrong decode would be silent, a
 *   refusal is not.
 * - Deflated Explicit VR Little Endian: dcm2niix refuses it itself, after a full read.
 * JPEG baseline/extended are 8-bit only in dcm2niix; scanDicom reports a 12/16-bit series.
 */

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
export const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';
export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
export const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.57';
export const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';

interface Syntax {
  name: string;
  supported: boolean;
}

const SYNTAXES: Record<string, Syntax> = {
  [IMPLICIT_VR_LITTLE_ENDIAN]: { name: 'Implicit VR Little Endian', supported: true },
  [EXPLICIT_VR_LITTLE_ENDIAN]: { name: 'Explicit VR Little Endian', supported: true },
  '1.2.840.10008.1.2.2': { name: 'Explicit VR Big Endian', supported: true },
  '1.2.840.10008.1.2.1.99': { name: 'Deflated Explicit VR Little Endian', supported: false },
  '1.2.840.10008.1.2.1.98': { name: 'Encapsulated Uncompressed Explicit VR Little Endian', supported: false },
  [JPEG_BASELINE]: { name: 'JPEG Baseline (Process 1)', supported: true },
  [JPEG_EXTENDED]: { name: 'JPEG Extended (Process 2 & 4)', supported: true },
  [JPEG_LOSSLESS]: { name: 'JPEG Lossless, Non-Hierarchical (Process 14)', supported: true },
  [JPEG_LOSSLESS_SV1]: { name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', supported: true },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', supported: true },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Lossy (Near-Lossless)', supported: true },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 Image Compression (Lossless Only)', supported: true },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000 Image Compression', supported: true },
  '1.2.840.10008.1.2.4.92': { name: 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)', supported: false },
  '1.2.840.10008.1.2.4.93': { name: 'JPEG 2000 Part 2 Multi-component Image Compression', supported: false },
  '1.2.840.10008.1.2.4.94': { name: 'JPIP Referenced', supported: false },
  '1.2.840.10008.1.2.4.95': { name: 'JPIP Referenced Deflate', supported: false },
  '1.2.840.10008.1.2.4.100': { name: 'MPEG2 Main Profile / Main Level', supported: false },
  '1.2.840.10008.1.2.4.101': { name: 'MPEG2 Main Profile / High Level', supported: false },
  '1.2.840.10008.1.2.4.102': { name: 'MPEG-4 AVC/H.264 High Profile / Level 4.1', supported: false },
  '1.2.840.10008.1.2.4.103': { name: 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', supported: false },
  '1.2.840.10008.1.2.4.104': { name: 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', supported: false },
  '1.2.840.10008.1.2.4.105': { name: 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', supported: false },
  '1.2.840.10008.1.2.4.106': { name: 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', supported: false },
  '1.2.840.10008.1.2.4.107': { name: 'HEVC/H.265 Main Profile / Level 5.1', supported: false },
  '1.2.840.10008.1.2.4.108': { name: 'HEVC/H.265 Main 10 Profile / Level 5.1', supported: false },
  '1.2.840.10008.1.2.4.110': { name: 'JPEG XL Lossless', supported: false },
  '1.2.840.10008.1.2.4.111': { name: 'JPEG XL JPEG Recompression', supported: false },
  '1.2.840.10008.1.2.4.112': { name: 'JPEG XL', supported: false },
  '1.2.840.10008.1.2.4.201': { name: 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', supported: false },
  '1.2.840.10008.1.2.4.202': { name: 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', supported: false },
  '1.2.840.10008.1.2.4.203': { name: 'High-Throughput JPEG 2000 Image Compression', supported: false },
  [RLE_LOSSLESS]: { name: 'RLE Lossless', supported: true },
};

/** A human name for a transfer syntax UID; unknown UIDs are named by the UID itself. */
export function transferSyntaxName(uid: string): string {
  if (!uid) return '(no transfer syntax)';
  return SYNTAXES[uid]?.name ?? `unknown transfer syntax ${uid}`;
}

export function transferSyntaxSupported(uid: string): boolean {
  return SYNTAXES[uid]?.supported ?? false;
}

/** JPEG baseline/extended: dcm2niix's built-in decoder handles 8-bit samples only. */
export function transferSyntaxBitLimit(uid: string): number | null {
  return uid === JPEG_BASELINE || uid === JPEG_EXTENDED ? 8 : null;
}
