import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

describe("configuration", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.host).toBe("127.0.0.1");
    expect(c.publicUrl).toBe("http://localhost:8080");
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.keysFile).toBe(`${c.dataDir}/keys.json`);
    expect(c.databaseUrl).toBeNull();
    expect(c.sqliteWriterThread).toBe(false);
    expect(loadConfig({ SQLITE_WRITER_THREAD: "0" }).sqliteWriterThread).toBe(false);
    expect(loadConfig({ SQLITE_WRITER_THREAD: "false" }).sqliteWriterThread).toBe(false);
    expect(loadConfig({ SQLITE_WRITER_THREAD: "1" }).sqliteWriterThread).toBe(true);
    expect(c.trustProxy).toBe(false);
    expect(c.defaultTtlSeconds).toBe(86400);
    expect(c.maxTtlSeconds).toBe(30 * 86400);
    expect(c.clipboardClearSeconds).toBe(60);
    expect(loadConfig({ CLIPBOARD_CLEAR_SECONDS: "0" }).clipboardClearSeconds).toBe(0);
    expect(c.rateLimitCreate).toBe(60);
    expect(c.rateLimitOpen).toBe(120);
    expect(loadConfig({ RATE_LIMIT_CREATE: "0", RATE_LIMIT_OPEN: "5" })).toMatchObject({ rateLimitCreate: 0, rateLimitOpen: 5 });
    expect(() => loadConfig({ RATE_LIMIT_OPEN: "-1" })).toThrow(/RATE_LIMIT_OPEN/);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("reads every variable", () => {
    const c = loadConfig({
      PORT: "9000",
      HOST: "0.0.0.0",
      PUBLIC_URL: "https://s.example.org/",
      DATA_DIR: "/tmp/x",
      TRUST_PROXY: "127.0.0.1,10.0.0.0/8",
      MAX_TTL: "7d",
      DEFAULT_TTL: "1h",
      LOG_LEVEL: "warn",
    });
    expect(c.port).toBe(9000);
    expect(c.publicUrl).toBe("https://s.example.org");
    expect(c.trustProxy).toBe("127.0.0.1,10.0.0.0/8");
    expect(c.maxTtlSeconds).toBe(7 * 86400);
    expect(c.defaultTtlSeconds).toBe(3600);
    expect(c.keysFile).toBe("/tmp/x/keys.json");
  });

  it("accepts a TRUST_PROXY list mixing keywords, addresses and CIDRs, as proxy-addr does", () => {
    expect(loadConfig({ TRUST_PROXY: "loopback, 10.0.0.5" }).trustProxy).toBe("loopback,10.0.0.5");
    expect(loadConfig({ TRUST_PROXY: " uniquelocal ,2001:db8::/32,linklocal, 192.0.2.0/24 ,::1" }).trustProxy).toBe(
      "uniquelocal,2001:db8::/32,linklocal,192.0.2.0/24,::1",
    );
    expect(loadConfig({ TRUST_PROXY: "10.0.0.5/32,::ffff:10.0.0.1,fd00::/128,172.16.0.0/1" }).trustProxy).toBe(
      "10.0.0.5/32,::ffff:10.0.0.1,fd00::/128,172.16.0.0/1",
    );
    expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "false" }).trustProxy).toBe(false);
  });

  it.each([
    ["loopback, proxy.internal", "proxy.internal"],
    ["10.0.0.5, everyone", "everyone"],
    ["loopback,true", "true"],
    ["10.0.0.5,,loopback", ""],
    ["10.0.0.5,", ""],
    ["LOOPBACK", "LOOPBACK"],
    ["10.0.0.0/33", "10.0.0.0/33"],
    ["loopback, fd00::/129", "fd00::/129"],
    ["10.0.0.0/0", "10.0.0.0/0"],
    ["10.0.0.0/8/8", "10.0.0.0/8/8"],
    ["10.0.0.0/-1", "10.0.0.0/-1"],
    ["10.0.0.0/", "10.0.0.0/"],
    ["10.0.0.0/255.0.0.0", "10.0.0.0/255.0.0.0"],
    ["10.0.0.256", "10.0.0.256"],
    ["010.0.0.1", "010.0.0.1"],
    ["fe80::1%eth0", "fe80::1%eth0"],
  ])("refuses TRUST_PROXY=%j, naming the item %j", (raw, item) => {
    expect(() => loadConfig({ TRUST_PROXY: raw })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: raw })).toThrow(`TRUST_PROXY must be true or a comma-separated list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal), got "${item}"`);
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ PUBLIC_URL: "ftp://x" }, "PUBLIC_URL"],
    [{ PUBLIC_URL: "https://x/?a=1" }, "PUBLIC_URL"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ MAX_TTL: "forever" }, "MAX_TTL"],
    [{ MAX_TTL: "7d", DEFAULT_TTL: "8d" }, "DEFAULT_TTL"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ TRUST_PROXY: "everyone!" }, "TRUST_PROXY"],
    [{ MAX_SECRET_BYTES: "10" }, "MAX_SECRET_BYTES"],
    [{ CLIPBOARD_CLEAR_SECONDS: "1m" }, "CLIPBOARD_CLEAR_SECONDS"],
    [{ CLIPBOARD_CLEAR_SECONDS: "3601" }, "CLIPBOARD_CLEAR_SECONDS"],
    [{ SQLITE_WRITER_THREAD: "yes please" }, "SQLITE_WRITER_THREAD"],
  ])("refuses %o naming the variable", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});
