/**
 * `freetumor inspect FILE|DIR [--label FILE] [--label-map NAME] [--series UID|NUMBER]`: what a
 * volume (and its label map) holds, as JSON on stdout, for checking data before a run. DIR is a
 * DICOM series folder, converted as `freetumor convert` would.
 */
import { CliError, type CliCommand } from '../cliTypes.ts';
import { dicomSourceJson, readImageOrDicom, terminalProgress } from '../dicom.ts';
import { readNiftiFile, VOLUME_LIMIT_HELP } from '../io.ts';
import { affineFromHeader, checkSameGeometry, toLabelVolume } from '../../core/nifti/index.ts';
import { orientationCode } from '../../core/geometry/index.ts';
import { LABEL_MAPS, PROJECT_LABELS, type LabelMap } from '../../core/labels.ts';
import { intensityRange, labelCounts } from '../../core/stats.ts';
import { spacingOf } from '../../core/volume.ts';

const help = `usage: freetumor inspect FILE|DIR [--label FILE] [--label-map ${Object.keys(LABEL_MAPS).join('|')}] [--series UID|NUMBER]

Prints JSON describing a NIfTI volume (.nii or .nii.gz) or a DICOM series folder (converted to
HU first, as \`freetumor convert\` does; --series picks one when the folder holds several): dims,
spacing, orientation code, datatype, intensity range and affine, plus the series for a folder.
With --label, also the voxel count of each label id, checked to share the image's grid (a NIfTI
on the converted grid for a folder); --label-map names the ids and the project label each maps to.
Exit 0 on success, 2 on bad input or usage.

${VOLUME_LIMIT_HELP}`;

interface Args {
  file: string;
  label?: string;
  labelMap?: LabelMap;
  series?: string;
}

function parseArgs(argv: string[]): Args {
  let file: string | undefined;
  let label: string | undefined;
  let mapName: string | undefined;
  let series: string | undefined;
  for (let n = 0; n < argv.length; n++) {
    const a = argv[n];
    const value = (): string => {
      const v = argv[++n];
      if (v === undefined || v.startsWith('--')) throw new CliError(`${a} needs a value\n\n${help}`);
      return v;
    };
    if (a === '--label') label = value();
    else if (a.startsWith('--label=')) label = a.slice('--label='.length);
    else if (a === '--label-map') mapName = value();
    else if (a.startsWith('--label-map=')) mapName = a.slice('--label-map='.length);
    else if (a === '--series') series = value();
    else if (a.startsWith('--series=')) series = a.slice('--series='.length);
    else if (a.startsWith('-')) throw new CliError(`unknown option ${a}\n\n${help}`);
    else if (file === undefined) file = a;
    else throw new CliError(`unexpected argument ${a} (one FILE only)\n\n${help}`);
  }
  if (!file) throw new CliError(`missing FILE\n\n${help}`);
  if (mapName !== undefined && !LABEL_MAPS[mapName]) {
    throw new CliError(`unknown --label-map '${mapName}' (known: ${Object.keys(LABEL_MAPS).join(', ')})`);
  }
  if (mapName !== undefined && label === undefined) throw new CliError('--label-map needs --label FILE');
  return { file, label, labelMap: mapName ? LABEL_MAPS[mapName] : undefined, series };
}

const round = (x: number, digits = 6) => Number(x.toFixed(digits));

/** Indented JSON, but arrays of numbers on one line so dims and affine rows read as rows. */
function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s+(-?[\d.eE+-]+(?:,\s+-?[\d.eE+-]+)*)\s+\]/g, (_, body: string) => `[${body.split(/,\s+/).join(', ')}]`);
}

export const command: CliCommand = {
  help,
  async run(argv) {
    const args = parseArgs(argv);
    const img = await readImageOrDicom(args.file, {
      series: args.series,
      onProgress: terminalProgress(),
      warn: (line) => process.stderr.write(`freetumor inspect: ${line}\n`),
    });
    const { dims, affine, data } = img.volume;
    // float32 rounds int32 beyond ±2^24 (2147483647 reads 2147483648): report the file's values.
    const range = intensityRange(img.exact ?? data);
    const out: Record<string, unknown> = {
      file: args.file,
      dims,
      spacing: spacingOf(affine).map((s) => round(s)),
      orientation: orientationCode(affine),
      datatype: img.datatype,
      intensity: { min: range.min, max: range.max },
      affine: [0, 1, 2, 3].map((r) => affine.slice(r * 4, r * 4 + 4)),
      // Which header fields the affine came from: wrong spacing in headers is a known defect of
      // some tools' outputs, and this is where it shows.
      affineFrom: affineFromHeader(img.header, args.file).source,
      nifti: img.header.version,
      ...(img.dicom ? { dicom: dicomSourceJson(img.dicom) } : {}),
    };
    if (args.label) {
      const seg = await readNiftiFile(args.label);
      checkSameGeometry(img.volume, seg.volume, args.file, args.label);
      const labels = toLabelVolume(seg, args.label);
      const map = args.labelMap;
      out.label = {
        file: args.label,
        datatype: seg.datatype,
        ...(map ? { labelMap: map.name } : {}),
        labels: labelCounts(labels.data).map(({ id, voxels }) => {
          const project = map?.toProject[id];
          return {
            id,
            voxels,
            ...(map ? { name: id === 0 ? 'background' : (map.sourceNames?.[id] ?? map.toProject[id] ?? null) } : {}),
            ...(map ? { project: id === 0 ? 'background' : (project ?? null), projectId: id === 0 ? 0 : project ? PROJECT_LABELS[project] : null } : {}),
          };
        }),
      };
    }
    process.stdout.write(formatJson(out) + '\n');
    return 0;
  },
};
