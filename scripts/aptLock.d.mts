export declare const APT_LOCKS: string[];
export declare function lockHolders(procLocks: string, files: { path: string; dev: number | bigint; ino: number | bigint }[]): { path: string; pid: number }[];
export declare function waitForAptLocks(opts: {
  timeoutS: number;
  pollS?: number;
  log?: (message: string) => void;
  holders?: () => { path: string; pid: number }[];
}): Promise<{ waitedS: number; holders: string[] }>;
