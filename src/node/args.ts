/**
 * A small argv parser for the CLI: `--name value`, `--name=value`, repeated flags and booleans.
 * Unknown flags are errors, so a typo never silently falls back to a default.
 */
import { CliError } from './cliTypes.ts';

export interface FlagSpec {
  /** 'string' takes a value; 'boolean' takes none; 'list' may repeat. */
  type: 'string' | 'boolean' | 'list';
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>;
  positional: string[];
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>, command: string): ParsedArgs {
  const flags: ParsedArgs['flags'] = {};
  const positional: string[] = [];
  for (let n = 0; n < argv.length; n++) {
    const a = argv[n];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new CliError(`unknown option --${name} (see freetumor ${command} --help)`);
    if (s.type === 'boolean') {
      if (eq >= 0) throw new CliError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++n];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new CliError(`--${name} needs a value`);
    if (s.type === 'list') ((flags[name] ??= []) as string[]).push(value);
    else flags[name] = value;
  }
  return { flags, positional };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function requiredFlag(args: ParsedArgs, name: string): string {
  const v = stringFlag(args, name);
  if (v === undefined) throw new CliError(`--${name} is required`);
  return v;
}

export function numberFlag(args: ParsedArgs, name: string, fallback: number, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
  const raw = stringFlag(args, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || (opts.integer && !Number.isInteger(v)))
    throw new CliError(`--${name} must be ${opts.integer ? 'an integer' : 'a number'}, got '${raw}'`);
  if (opts.min !== undefined && v < opts.min) throw new CliError(`--${name} must be ≥ ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new CliError(`--${name} must be ≤ ${opts.max}, got ${v}`);
  return v;
}

export function listFlag(args: ParsedArgs, name: string): string[] {
  const v = args.flags[name];
  return Array.isArray(v) ? v : [];
}
