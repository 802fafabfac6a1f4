/** Every refusal of the torch reader: the message starts with the file name. */
export class TorchReadError extends Error {
  constructor(
    readonly fileName: string,
    problem: string,
  ) {
    super(`${fileName}: ${problem}`);
    this.name = 'TorchReadError';
  }
}
