/** Which files the lab and the reader study take as models (page side: no tfjs, no reader). */

/** File-picker accept list: FreeTumor checkpoints and PyTorch torch.save files (converted in the worker). */
export const MODEL_FILE_ACCEPT = '.safetensors,.pt,.pth';

const MODEL_FILE = /\.(safetensors|pt|pth)$/i;

/** Throws `NAME: not a model file …` for anything else, before the bytes are read. */
export function assertModelFileName(fileName: string): void {
  if (!MODEL_FILE.test(fileName)) throw new Error(`${fileName}: not a model file (a FreeTumor .safetensors checkpoint or a PyTorch .pt / .pth)`);
}

/** The name of the FreeTumor checkpoint a PyTorch file was converted into. */
export function convertedName(fileName: string): string {
  return `${fileName.replace(/\.(safetensors|pt|pth)$/i, '') || 'checkpoint'}-freetumor.safetensors`;
}
