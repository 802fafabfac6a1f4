/**
 * `freetumor import-checkpoint`: the FreeTumor authors' PyTorch checkpoints (TGAN.pt, SwinUNETR
 * segmentors) as our safetensors checkpoints with filled model cards (src/models/officialImport.ts,
 * the same code the browser runs), written where --generator / --segmentor / --checkpoint take them.
 */
import * as tf from '@tensorflow/tfjs';
import { readFile, mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ORGANS, type Organ } from '../../core/labels.ts';
import { describeArchitecture } from '../../models/config.ts';
import { importTorchCheckpoint, writeLoadedCheckpoint } from '../../models/officialImport.ts';
import { numberFlag, parseArgs, requiredFlag, stringFlag } from '../args.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { writeFileAtomic } from '../io.ts';
import { quietNodeBackendAdvice } from '../tfjsAdvice.ts';
import { CHECKPOINT_FILE } from '../train/runSetup.ts';

const help = `usage: freetumor import-checkpoint FILE.pt --out DIR [--organ liver|pancreas|kidney]

Converts an official FreeTumor PyTorch checkpoint (torch.save) into FreeTumor Workbench
checkpoints, with model cards filled from what the file holds: architecture, classes → label
scheme (7 universal, 3 specialist), the official crop (96³ at 1.5 mm, preset paper) and the
source file's name, SHA-256, epoch and best_acc.

  TGAN.pt (netG.*, netD.*, netSeg.*)  → DIR/generator/${CHECKPOINT_FILE}  G (netG) + C (netD)
                                        DIR/segmentor/${CHECKPOINT_FILE}  S (netSeg, universal)
  a SwinUNETR segmentor .pt           → DIR/${CHECKPOINT_FILE}            S

Use them as --generator DIR/generator, --segmentor DIR/segmentor (or DIR), --checkpoint DIR;
the commands that load them take preset, patch, spacing, label scheme, organ and architecture
from the card (no flag needed; see --override-card in their --help).

options:
  --out DIR       where the checkpoint(s) go (created; files are replaced atomically)
  --organ NAME    the organ of a 3-class specialist segmentor (the file does not say it)
  --roi N         the crop edge the model was trained at (official --roi_x; default 96)

Prints a JSON summary. Exit 0 on success, 2 on bad input (an incomplete or foreign file).`;

const FLAGS = { out: { type: 'string' }, organ: { type: 'string' }, roi: { type: 'string' } } as const;

export const command: CliCommand = {
  help,
  async run(argv) {
    const args = parseArgs(argv, FLAGS, 'import-checkpoint');
    if (args.positional.length !== 1) {
      throw new CliError(args.positional.length ? `one checkpoint at a time, got ${args.positional.length}: ${args.positional.join(' ')}` : 'which .pt file? (freetumor import-checkpoint FILE.pt --out DIR)');
    }
    const file = resolve(args.positional[0]);
    const outDir = resolve(requiredFlag(args, 'out'));
    const organ = stringFlag(args, 'organ');
    if (organ !== undefined && !ORGANS.includes(organ as Organ)) throw new CliError(`--organ must be one of ${ORGANS.join(', ')}, got '${organ}'`);
    const roi = stringFlag(args, 'roi') === undefined ? undefined : numberFlag(args, 'roi', 96, { integer: true, min: 32 });
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (e) {
      throw new CliError(`${file}: cannot read the checkpoint (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    // Converting is layout work on the host: no GPU needed, and no tfjs-node advice either.
    await tf.setBackend('cpu');
    quietNodeBackendAdvice(tf.findBackend('cpu'));
    let result;
    try {
      result = await importTorchCheckpoint(bytes, basename(file), { organ: organ as Organ | undefined, roi });
    } catch (e) {
      // The importer names the file by its base name; the CLI names the path given.
      throw new CliError(`${file}: ${(e as Error).message.replace(/^[^:]*: /, '')}`);
    }
    const written = [];
    for (const m of result.models) {
      const dir = result.layout === 'tgan' ? join(outDir, m.role) : outDir;
      await mkdir(dir, { recursive: true });
      const path = join(dir, CHECKPOINT_FILE);
      await writeFileAtomic(path, writeLoadedCheckpoint(m.checkpoint));
      const card = m.checkpoint.manifest.card;
      written.push({
        file: path,
        use: m.role === 'generator' ? `--generator ${dir}` : `--segmentor ${dir} / --checkpoint ${dir}`,
        networks: Object.fromEntries(Object.entries(m.checkpoint.manifest.networks).map(([n, e]) => [n, { role: e.role, ...(e.labelScheme ? { labelScheme: e.labelScheme } : {}), architecture: describeArchitecture(e.config) }])),
        preset: card.preset,
        ...(card.labelScheme ? { labelScheme: card.labelScheme } : {}),
        ...(card.organ ? { organ: card.organ } : {}),
        patch: card.provenance.patch,
        spacingMm: card.provenance.spacingMm,
      });
    }
    process.stdout.write(JSON.stringify({ source: { ...result.source, file }, layout: result.layout, checkpoints: written }, null, 2) + '\n');
    return 0;
  },
};
