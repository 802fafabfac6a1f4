/**
 * `freetumor simulate`: handcrafted synthetic tumours (position simulation + SynTumor texture) on
 * one CT, written as NIfTI in the source's geometry, plus a JSON summary on stdout.
 */
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { checkSameGeometry, toLabelVolume } from '../../core/nifti/index.ts';
import { LABEL_MAPS, ORGANS, remapLabels, type Organ } from '../../core/labels.ts';
import {
  DEFAULT_HANDCRAFTED_OPTIONS,
  DEFAULT_POSITION_OPTIONS,
  SIZE_CLASSES,
  isSizeClass,
  synthesizeHandcrafted,
  TumourSimulationError,
  type SizeClass,
} from '../../core/tumor/index.ts';
import { VolumeError } from '../../core/errors.ts';
import type { LabelVolume, Vec3 } from '../../core/volume.ts';
import { listFlag, numberFlag, parseArgs, requiredFlag, stringFlag } from '../args.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { dicomSourceJson, readImageOrDicom, terminalProgress } from '../dicom.ts';
import { readNiftiFile, VOLUME_LIMIT_HELP, writeNiftiFile } from '../io.ts';

const d = DEFAULT_POSITION_OPTIONS;
const help = `usage: freetumor simulate --image FILE|DIR --label FILE --label-map NAME --out DIR [options]

Places synthetic tumours in an organ of a CT (FreeTumor's position simulation, SynTumor texture,
handcrafted darkening; no generator) and writes
  DIR/<name>_synthetic.nii.gz        the image, in HU, with the source's geometry and datatype
  DIR/<name>_synthetic_label.nii.gz  labels in the project scheme (1 liver, 2 liver tumour,
                                     3 pancreas, 4 pancreas tumour, 5 kidney, 6 kidney tumour)
then prints a JSON summary (centres, classes, new tumour voxel counts, volumes, texture, files).
Tumours never go on an existing tumour: centres and masks keep --tumour-margin from every voxel
labelled tumour, and those voxels are never changed. The texture (s, b, β) is drawn from the seed.

--image may be a DICOM series folder (converted to HU as \`freetumor convert\` does; outputs are
NIfTI on the converted grid, and --label must be a NIfTI on that grid).

options:
  --series UID|NUMBER     which series of a DICOM folder holding several
  --label-map NAME        how to read the label file's ids: ${Object.keys(LABEL_MAPS).join('|')}
                          (required: a wrong guess would put tumours in the wrong organ)
  --organ NAME            ${ORGANS.join('|')}; repeat or comma-separate for several (default ${d.organs.join(',')})
  --seed N                integer seed; the same seed gives the same bytes (default 0)
  --count N               tumours (default ${d.count})
  --size-class NAME       ${SIZE_CLASSES.join('|')} (default: drawn)
  --class-probabilities   e.g. tiny=1,small=1,medium=2,large=0 (default uniform)
  --centre I,J,K          centre voxel instead of a random one; repeat for several tumours
  --tumour-margin MM      distance new tumours keep from existing ones (default ${d.tumourMarginMm})
  --avoid-vessels         skip candidate centres brighter than --vessel-hu
  --vessel-hu HU          vessel threshold (default ${d.avoidVessels.huThreshold})
  --darkening LO,HI       d ~ U(LO,HI) in window units (default ${DEFAULT_HANDCRAFTED_OPTIONS.darkening.join(',')})
  --name NAME             output base name (default: the image file or folder name without .nii[.gz])
Exit 0 on success, 2 on bad input or usage.

${VOLUME_LIMIT_HELP}`;

const FLAGS = {
  image: { type: 'string' },
  label: { type: 'string' },
  'label-map': { type: 'string' },
  organ: { type: 'list' },
  seed: { type: 'string' },
  count: { type: 'string' },
  'size-class': { type: 'string' },
  'class-probabilities': { type: 'string' },
  centre: { type: 'list' },
  'tumour-margin': { type: 'string' },
  'avoid-vessels': { type: 'boolean' },
  'vessel-hu': { type: 'string' },
  darkening: { type: 'string' },
  name: { type: 'string' },
  out: { type: 'string' },
  series: { type: 'string' },
} as const;

function parseCentre(raw: string): Vec3 {
  const parts = raw.split(',').map((s) => s.trim());
  const v = parts.map(Number);
  if (parts.length !== 3 || v.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new CliError(`--centre must be three non-negative integers I,J,K, got '${raw}'`);
  }
  return [v[0], v[1], v[2]];
}

function parseProbabilities(raw: string): Partial<Record<SizeClass, number>> {
  const out: Partial<Record<SizeClass, number>> = {};
  for (const item of raw.split(',')) {
    const [k, val] = item.split('=').map((s) => s.trim());
    const w = Number(val);
    if (!isSizeClass(k) || val === undefined || !Number.isFinite(w) || w < 0) {
      throw new CliError(`--class-probabilities wants CLASS=WEIGHT items (${SIZE_CLASSES.join(', ')}), got '${item}'`);
    }
    out[k] = w;
  }
  if (SIZE_CLASSES.every((c) => (out[c] ?? 1) === 0)) throw new CliError('--class-probabilities: all weights are zero');
  return out;
}

function parseRange(raw: string, flag: string): [number, number] {
  const v = raw.split(',').map(Number);
  if (v.length !== 2 || v.some((x) => !Number.isFinite(x)) || v[0] > v[1]) {
    throw new CliError(`--${flag} must be LO,HI with LO <= HI, got '${raw}'`);
  }
  return [v[0], v[1]];
}

function baseName(file: string): string {
  return basename(file.replace(/[/\\]+$/, '')).replace(/\.nii(\.gz)?$/i, '');
}

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** Indented JSON with arrays of numbers kept on one line (voxels and mm read as triples). */
function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s+(-?[\d.eE+-]+(?:,\s+-?[\d.eE+-]+)*)\s+\]/g, (_, body: string) => `[${body.split(/,\s+/).join(', ')}]`);
}

export const command: CliCommand = {
  help,
  async run(argv) {
    const args = parseArgs(argv, FLAGS, 'simulate');
    if (args.positional.length) throw new CliError(`unexpected argument '${args.positional[0]}'\n\n${help}`);
    const imageFile = requiredFlag(args, 'image');
    const labelFile = requiredFlag(args, 'label');
    const outDir = requiredFlag(args, 'out');
    const mapName = stringFlag(args, 'label-map');
    if (mapName === undefined) throw new CliError(`--label-map is required (known: ${Object.keys(LABEL_MAPS).join(', ')})`);
    const labelMap = LABEL_MAPS[mapName];
    if (!labelMap) throw new CliError(`unknown --label-map '${mapName}' (known: ${Object.keys(LABEL_MAPS).join(', ')})`);
    const organNames = listFlag(args, 'organ').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    for (const o of organNames) {
      if (!(ORGANS as readonly string[]).includes(o)) throw new CliError(`unknown --organ '${o}' (known: ${ORGANS.join(', ')})`);
    }
    const organs = (organNames.length ? organNames : d.organs) as Organ[];
    const seed = numberFlag(args, 'seed', 0, { integer: true, min: -(2 ** 53 - 1), max: 2 ** 53 - 1 });
    const count = numberFlag(args, 'count', d.count, { integer: true, min: 1, max: 1000 });
    const sizeClassRaw = stringFlag(args, 'size-class');
    if (sizeClassRaw !== undefined && !isSizeClass(sizeClassRaw)) {
      throw new CliError(`unknown --size-class '${sizeClassRaw}' (known: ${SIZE_CLASSES.join(', ')})`);
    }
    const probsRaw = stringFlag(args, 'class-probabilities');
    const centres = listFlag(args, 'centre').map(parseCentre);
    if (centres.length > count) throw new CliError(`${centres.length} --centre values for --count ${count}`);
    const tumourMarginMm = numberFlag(args, 'tumour-margin', d.tumourMarginMm, { min: 0 });
    const avoid = args.flags['avoid-vessels'] === true;
    const vesselHu = numberFlag(args, 'vessel-hu', d.avoidVessels.huThreshold);
    if (!avoid && stringFlag(args, 'vessel-hu') !== undefined) throw new CliError('--vessel-hu needs --avoid-vessels');
    const darkRaw = stringFlag(args, 'darkening');
    const name = stringFlag(args, 'name') ?? baseName(imageFile);
    if (!name || /[/\\]/.test(name)) throw new CliError(`bad --name '${name}'`);

    const img = await readImageOrDicom(imageFile, {
      series: stringFlag(args, 'series'),
      onProgress: terminalProgress(),
      warn: (line) => process.stderr.write(`freetumor simulate: ${line}\n`),
    });
    const seg = await readNiftiFile(labelFile);
    checkSameGeometry(img.volume, seg.volume, imageFile, labelFile);
    const source = toLabelVolume(seg, labelFile);
    const label: LabelVolume = { dims: source.dims, affine: source.affine, data: remapLabels(source.data, labelMap) };
    for (const c of centres) {
      if (c.some((x, a) => x >= label.dims[a])) {
        throw new CliError(`--centre ${c.join(',')} is outside the volume (dims ${label.dims.join('×')})`);
      }
    }

    const options = {
      seed,
      count,
      organs,
      ...(sizeClassRaw ? { sizeClass: sizeClassRaw as SizeClass } : {}),
      ...(probsRaw ? { classProbabilities: parseProbabilities(probsRaw) } : {}),
      ...(centres.length ? { centres } : {}),
      tumourMarginMm,
      avoidVessels: { enabled: avoid, huThreshold: vesselHu },
      handcrafted: darkRaw ? { darkening: parseRange(darkRaw, 'darkening') } : {},
    };
    let result;
    try {
      result = synthesizeHandcrafted(img.volume, label, options);
    } catch (e) {
      // "no liver voxel" is a fact about the label file as read through the map: a wrong
      // --label-map is the usual cause, so the line names both.
      if (e instanceof TumourSimulationError) throw new VolumeError(labelFile, `${e.message} (read with --label-map ${mapName})`);
      throw e;
    }

    await mkdir(outDir, { recursive: true }).catch((e: Error) => {
      throw new CliError(`cannot create --out ${outDir}: ${e.message}`);
    });
    const imageOut = join(outDir, `${name}_synthetic.nii.gz`);
    const labelOut = join(outDir, `${name}_synthetic_label.nii.gz`);
    // The source header keeps orientation codes and descriptions; the datatype stays the source's
    // (integers are rounded only inside the tumour, the only voxels that changed).
    await writeNiftiFile(imageOut, result.image, { header: img.header, datatype: img.datatype });
    await writeNiftiFile(labelOut, result.label, { header: seg.header, datatype: 'uint8' });

    const out = {
      image: imageFile,
      ...(img.dicom ? { dicom: dicomSourceJson(img.dicom) } : {}),
      label: labelFile,
      labelMap: labelMap.name,
      seed,
      darkening: round(result.darkening, 4),
      texture: { s: round(result.textureParams.scale, 4), b: round(result.textureParams.base, 4), beta: round(result.textureParams.beta, 4) },
      tumourMarginMm,
      newTumourVoxels: result.simulation.newTumourVoxels,
      tumours: result.simulation.tumours.map((t) => ({
        organ: t.organ,
        sizeClass: t.sizeClass,
        centreVoxel: t.centreVoxel,
        centreWorldMm: t.centreWorldMm.map((x) => round(x)),
        userCentre: t.userCentre,
        semiAxesMm: t.semiAxesMm.map((x) => round(x)),
        semiAxesVoxels: t.semiAxesVoxels.map((x) => round(x)),
        voxelCount: t.voxelCount,
        volumeMm3: round(t.volumeMm3),
        tumourLabel: t.tumourLabel,
        seed: t.seed,
        ...(t.centreBand && t.centreBand.widened ? { centreBandWidened: t.centreBand.band } : {}),
      })),
      files: { image: imageOut, label: labelOut },
    };
    process.stdout.write(formatJson(out) + '\n');
    return 0;
  },
};
