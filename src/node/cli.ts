/**
 * The `freetumor` command line. Each subcommand lives in ./commands/<name>.ts and exports
 * `command: CliCommand`; they are loaded lazily so `inspect` never pays for importing tfjs.
 */
import { CliError, type CliCommand } from './cliTypes.ts';
import { VOLUME_LIMIT_HELP } from './io.ts';

const COMMANDS: Record<string, () => Promise<{ command: CliCommand }>> = {
  inspect: () => import('./commands/inspect.ts'),
  convert: () => import('./commands/convert.ts'),
  simulate: () => import('./commands/simulate.ts'),
  manifest: () => import('./commands/manifest.ts'),
  'train-segmentor': () => import('./commands/train-segmentor.ts'),
  'train-synthesis': () => import('./commands/train-synthesis.ts'),
  'train-segmentation': () => import('./commands/train-segmentation.ts'),
  synthesize: () => import('./commands/synthesize.ts'),
  evaluate: () => import('./commands/evaluate.ts'),
  'import-checkpoint': () => import('./commands/import-checkpoint.ts'),
  cache: () => import('./commands/cache.ts'),
  worker: () => import('./commands/worker.ts'),
};

function usage(): string {
  return [
    'usage: freetumor <command> [options]',
    '',
    'commands:',
    ...Object.keys(COMMANDS).map((n) => `  ${n}`),
    '',
    'Run `freetumor <command> --help` for the options of one command.',
    '',
    VOLUME_LIMIT_HELP,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`freetumor: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  try {
    const { command } = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(command.help + '\n');
      return 0;
    }
    return await command.run(rest);
  } catch (e) {
    if (e instanceof CliError || (e instanceof Error && e.name.endsWith('Error') && !(e instanceof TypeError))) {
      process.stderr.write(`freetumor ${name}: ${(e as Error).message}\n`);
      return e instanceof CliError ? e.exitCode : 2;
    }
    process.stderr.write(`freetumor ${name}: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
