import { readFileSync } from "node:fs";
import type { Config } from "../config.js";
import { ConfigError } from "../config.js";
import { parsePolicySetup, type PolicySetup } from "../core/templates.js";
import { validCidrs } from "./ip-rules.js";

/**
 * Loads the instance's policy setup once at start: the built-in templates, plus the operator's templates, default
 * template and minimums from ONCELINK_POLICY_FILE. A missing, unreadable or malformed file stops the start with a
 * ConfigError naming the variable and the problem.
 */
export function loadPolicySetup(config: Pick<Config, "policyFile" | "minTtlSeconds" | "maxTtlSeconds" | "defaultTtlSeconds">): PolicySetup {
  let json: unknown;
  if (config.policyFile !== null) {
    let text: string;
    try {
      text = readFileSync(config.policyFile, "utf8");
    } catch (err) {
      throw new ConfigError(`ONCELINK_POLICY_FILE (${config.policyFile}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
    try {
      json = JSON.parse(text);
    } catch {
      throw new ConfigError(`ONCELINK_POLICY_FILE (${config.policyFile}) is not valid JSON`);
    }
  }
  const result = parsePolicySetup(json, {
    minTtlSeconds: config.minTtlSeconds,
    maxTtlSeconds: config.maxTtlSeconds,
    defaultTtlSeconds: config.defaultTtlSeconds,
    validCidrs,
  });
  if (!result.ok) throw new ConfigError(`ONCELINK_POLICY_FILE (${config.policyFile}): ${result.problem}`);
  return result.setup;
}
