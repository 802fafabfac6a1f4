// dcmjs ships no types; only what this project calls is declared, loosely.
declare module 'dcmjs' {
  const dcmjs: {
    data: {
      DicomMessage: {
        readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): { meta: Record<string, unknown>; dict: Record<string, unknown> };
      };
      DicomMetaDictionary: {
        naturalizeDataset(dict: Record<string, unknown>): Record<string, any>;
        denaturalizeDataset(ds: Record<string, unknown>): Record<string, unknown>;
        uid(): string;
        date(): string;
        time(): string;
        dictionary: Record<string, { tag: string; vr: string; name: string; vm: string }>;
        nameMap: Record<string, { tag: string; vr: string; name: string; vm: string }>;
      };
      DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; meta: Record<string, unknown>; write(options?: Record<string, unknown>): ArrayBuffer };
      datasetToBuffer?: (ds: Record<string, unknown>) => ArrayBuffer;
    };
    [k: string]: any;
  };
  export default dcmjs;
}
