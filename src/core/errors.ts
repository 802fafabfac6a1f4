/**
 * The one error type for bad volume input or output. The message always starts with the file so a
 * user with a batch of cases knows which one to fix; the CLI prints it as a single line.
 */
export class VolumeError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    // The CLI treats errors whose name ends in "Error" (other than TypeError) as user errors.
    this.name = 'VolumeError';
  }
}
