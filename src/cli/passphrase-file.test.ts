import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CREATE_USAGE } from "./create-command.js";
import { readPassphraseFile } from "./passphrase-file.js";

const dir = mkdtempSync(join(tmpdir(), "oncelink-pass-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe("readPassphraseFile", () => {
  it("drops only the last line ending", async () => {
    expect(await readPassphraseFile(file("lf", "correct horse\n"))).toBe("correct horse");
    expect(await readPassphraseFile(file("crlf", "correct horse\r\n"))).toBe("correct horse");
    expect(await readPassphraseFile(file("two", "line one\nline two\n\n"))).toBe("line one\nline two\n");
    expect(await readPassphraseFile(file("none", "ümlaut pass"))).toBe("ümlaut pass");
  });

  it("drops a leading UTF-8 byte-order mark, as Windows editors write it", async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(await readPassphraseFile(file("bom", Buffer.concat([bom, Buffer.from("correct horse\r\n")])))).toBe("correct horse");
    await expect(readPassphraseFile(file("bom-only", Buffer.concat([bom, Buffer.from("\n")])))).rejects.toThrow("empty");
  });

  it("refuses a file that is not valid UTF-8 (Latin-1, UTF-16) instead of turning it into U+FFFD", async () => {
    await expect(readPassphraseFile(file("latin1", Buffer.from([0x70, 0xe4, 0x73, 0x73])))).rejects.toThrow("not valid UTF-8");
    await expect(readPassphraseFile(file("utf16", Buffer.from("\ufeffpass", "utf16le")))).rejects.toThrow("not valid UTF-8");
  });
});

describe("create usage", () => {
  it("says the passphrase file's last line ending is dropped, as the code does", () => {
    expect(CREATE_USAGE.replace(/\s+/g, " ")).toContain("the passphrase in F (its last line ending is dropped)");
  });
});
