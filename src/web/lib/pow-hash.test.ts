import { randomBytes } from "node:crypto";
import { createChallenge, solveChallenge, verifySolution, type ChallengeParameters } from "altcha-lib";
import { deriveKey as deriveKeyNode } from "altcha-lib/algorithms/sha";
import { describe, expect, it } from "vitest";
import { deriveKeyInPage } from "./pow-hash.js";

describe("deriveKeyInPage", () => {
  it("derives exactly what altcha's node:crypto implementation derives", async () => {
    for (let i = 0; i < 50; i++) {
      const parameters = {
        algorithm: "SHA-256",
        cost: 1 + (i % 4),
        keyLength: i % 2 ? 32 : 16,
        nonce: "",
        salt: "",
        keyPrefix: "00",
      } as unknown as ChallengeParameters;
      const salt = new Uint8Array(randomBytes(i % 33));
      const password = new Uint8Array(randomBytes(1 + (i % 70)));
      const mine = await deriveKeyInPage(parameters, salt, password);
      const theirs = await deriveKeyNode(parameters, salt, password);
      expect(Buffer.from(mine.derivedKey).toString("hex")).toBe(Buffer.from(theirs.derivedKey).toString("hex"));
    }
  });

  it("solves a real challenge that the server-side verifier accepts", async () => {
    const hmacSignatureSecret = "test-secret";
    const challenge = await createChallenge({
      algorithm: "SHA-256",
      cost: 1,
      counter: 500,
      deriveKey: deriveKeyNode,
      hmacSignatureSecret,
    });
    const solution = await solveChallenge({ challenge, deriveKey: deriveKeyInPage });
    expect(solution).not.toBeNull();
    const verified = await verifySolution({ challenge, solution: solution!, deriveKey: deriveKeyNode, hmacSignatureSecret });
    expect(verified.verified).toBe(true);
  });
});
