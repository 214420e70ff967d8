// Types of scripts/pg-cluster.mjs for the TypeScript test helpers.
export const TEST_DATABASE: string;
export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/oncelink (trust authentication, loopback only). */
  url: string;
  port: number;
  pid: number;
  dir: string;
  stop(): Promise<void>;
}
export function findPostgresBin(): string | null;
export function startPostgres(opts?: { logFile?: string; fsync?: boolean; settings?: Record<string, string> }): Promise<PostgresCluster>;
export function aptInstall(packages: string[]): boolean;
