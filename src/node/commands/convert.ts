/**
 * `freetumor convert DIR OUT.nii.gz`: a DICOM series folder → NIfTI, with the same scan, checks
 * and converter (WASM dcm2niix) as every other command that takes a folder for an image.
 */
import { scanDicom } from '../../core/dicom/scan.ts';
import { orientationCode } from '../../core/geometry/index.ts';
import { intensityRange } from '../../core/stats.ts';
import { spacingOf } from '../../core/volume.ts';
import { parseArgs, stringFlag } from '../args.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { convertDicomFolder, dicomSourceJson, isDirectory, readDicomFolder, seriesChoiceLine, terminalProgress } from '../dicom.ts';
import { VOLUME_LIMIT_HELP, writeNiftiFile } from '../io.ts';

const help = `usage: freetumor convert DIR OUT.nii.gz [--series UID|NUMBER]
       freetumor convert DIR --list

Converts the DICOM image series in folder DIR (and its subfolders) to NIfTI: Hounsfield units
(rescale slope/intercept applied), the geometry of the slices (RAS+ affine), int16 when every
value fits, else float32. The NIfTI is written by the workbench itself: no DICOM header field
(patient name, IDs, dates) is copied into it.

Before converting, the headers are checked: a missing slice, uneven slice spacing, slices of
different size or orientation in one series, a gantry tilt, or a transfer syntax the converter
cannot decode (e.g. HTJ2K, JPEG XL, MPEG, deflate) is refused with the file(s) named. Files that
are not DICOM, localisers, SEG and other non-image objects are skipped with a note on stderr.
Supported compression: JPEG 2000, JPEG lossless, JPEG-LS, RLE, 8-bit JPEG baseline.

options:
  --series UID|NUMBER   which series, when DIR holds several (SeriesInstanceUID or series number)
  --list                print the series found (JSON) and convert nothing
stdout: a JSON summary (output, dims, spacing, orientation, HU range, series). Exit 0 on
success, 2 on bad input or usage.

${VOLUME_LIMIT_HELP}`;

const FLAGS = {
  series: { type: 'string' },
  list: { type: 'boolean' },
} as const;

export const command: CliCommand = {
  help,
  async run(argv) {
    const args = parseArgs(argv, FLAGS, 'convert');
    const [dir, out, ...extra] = args.positional;
    if (!dir) throw new CliError(`missing DIR\n\n${help}`);
    if (extra.length) throw new CliError(`unexpected argument '${extra[0]}'\n\n${help}`);
    if (!(await isDirectory(dir))) throw new CliError(`${dir}: not a folder (convert takes a DICOM series folder)`);
    if (args.flags.list === true) {
      if (out) throw new CliError('--list takes no OUT');
      const scan = scanDicom(await readDicomFolder(dir));
      const report = {
        folder: dir,
        series: scan.series.map((s) => ({
          summary: seriesChoiceLine(s),
          seriesInstanceUID: s.seriesInstanceUID || null,
          seriesNumber: s.seriesNumber,
          description: s.description,
          slices: s.slices.length,
          convertible: s.problems.length === 0,
          problems: s.problems,
        })),
        segs: scan.segs.map((g) => ({ file: g.file, referencedSeriesUID: g.referencedSeriesUID, segments: g.segments.map((x) => `${x.number} ${x.label}`) })),
        skipped: scan.skipped,
      };
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return 0;
    }
    if (!out) throw new CliError(`missing OUT (a .nii or .nii.gz file)\n\n${help}`);
    if (!/\.nii(\.gz)?$/i.test(out)) throw new CliError(`OUT must end in .nii or .nii.gz, got '${out}'`);
    const converted = await convertDicomFolder(dir, {
      series: stringFlag(args, 'series'),
      onProgress: terminalProgress(),
      warn: (line) => process.stderr.write(`freetumor convert: ${line}\n`),
    });
    const img = converted.image;
    await writeNiftiFile(out, img.volume, { header: img.header, datatype: img.datatype });
    const range = intensityRange(img.volume.data);
    const summary = {
      output: out,
      dims: img.volume.dims,
      spacing: spacingOf(img.volume.affine).map((s) => Number(s.toFixed(6))),
      orientation: orientationCode(img.volume.affine),
      datatype: img.datatype,
      intensity: { min: range.min, max: range.max },
      dicom: dicomSourceJson(converted.source),
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return 0;
  },
};
