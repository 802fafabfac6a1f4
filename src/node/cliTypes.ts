export interface CliCommand {
  /** Shown by `freetumor <name> --help`. */
  help: string;
  /** Returns the process exit code: 0 success, 2 bad input or usage. */
  run(argv: string[]): Promise<number>;
}

/** An error whose message is meant for the user as is (no stack trace). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'CliError';
  }
}
