/**
 * Reads an strace log (`strace -f -e trace=openat,pwrite64,fdatasync,fsync,write,writev`) of the server and returns
 * the first answer that acknowledged a write (HTTP 200 or 201) without an fsync of SQLite's write-ahead log that
 * began after the last write into it and returned before the answer; null when there is none.
 */
export function unsyncedAnswer(trace: string): string | null {
  const walFds = new Set<string>();
  let lastWalWrite = -1;
  // Line numbers where an fdatasync/fsync of a WAL fd began and where it returned 0.
  const syncs: Array<{ began: number; ended: number }> = [];
  const open = new Map<string, number>();
  const lines = trace.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/^\d+\s+/, "");
    const opened = /^openat\(AT_FDCWD, "[^"]*-wal", .*\) = (\d+)$/.exec(line);
    if (opened) walFds.add(opened[1]!);
    const write = /^pwrite64\((\d+),/.exec(line);
    if (write && walFds.has(write[1]!)) lastWalWrite = i;
    const syncBegin = /^f(?:data)?sync\((\d+)(\)\s+= 0| <unfinished \.\.\.>)/.exec(line);
    if (syncBegin && walFds.has(syncBegin[1]!)) {
      if (syncBegin[2]!.startsWith(")")) syncs.push({ began: i, ended: i });
      else open.set(raw.split(/\s+/)[0]!, i);
    }
    const resumed = /^<\.\.\. f(?:data)?sync resumed>\)\s+= 0/.exec(line);
    const began = open.get(raw.split(/\s+/)[0]!);
    if (resumed && began !== undefined) {
      syncs.push({ began, ended: i });
      open.delete(raw.split(/\s+/)[0]!);
    }
    // An answer that acknowledges a write: 201 (created) or 200 (consumed) on the socket.
    if (/^write(?:v)?\(\d+, (?:\[\{iov_base=)?"HTTP\/1\.1 20[01] /.test(line) && lastWalWrite >= 0) {
      if (!syncs.some((s) => s.began > lastWalWrite && s.ended < i)) return `line ${i + 1}: ${line.slice(0, 60)}`;
    }
  }
  return null;
}
