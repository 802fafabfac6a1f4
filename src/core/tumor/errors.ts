/** A tumour cannot be placed as asked (empty or too small organ, centre outside the organ, …). */
export class TumourSimulationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TumourSimulationError';
  }
}
