import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";

// A software WebAuthn authenticator (ES256, "none" attestation) for HTTP tests: it builds exactly the bytes a
// platform authenticator and a browser would (authenticator data, CBOR attestation object, client data JSON, DER
// signature), so the server's real verification runs on them. The browser suite uses Chromium's virtual
// authenticator instead; this one lets the HTTP suite forge the failures a browser would never send.

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  cose: Uint8Array;
  counter: number;
  userHandle: string;
}

/** Options of a ceremony, with the knobs a test may turn to produce a bad response. */
export interface CeremonyTweaks {
  /** Set the UV flag (default: the authenticator's own setting). */
  userVerified?: boolean;
  /** Origin written into the client data (default: the authenticator's origin). */
  origin?: string;
  /** RP ID hashed into the authenticator data (default: the options' RP ID). */
  rpId?: string;
  /** Replace the challenge the client data carries. */
  challenge?: string;
}

export class SoftAuthenticator {
  readonly origin: string;
  readonly userVerified: boolean;
  readonly credentials: SoftCredential[] = [];

  constructor(opts: { origin: string; userVerified?: boolean }) {
    this.origin = opts.origin;
    this.userVerified = opts.userVerified ?? true;
  }

  /** navigator.credentials.create: a new ES256 credential, its response in @simplewebauthn/browser's JSON form. */
  create(options: PublicKeyCredentialCreationOptionsJSON, tweaks: CeremonyTweaks = {}): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(Buffer.from(jwk.x!, "base64url"))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, "base64url"))],
      ]),
    );
    const credential: SoftCredential = { id: randomBytes(32), privateKey, cose, counter: 0, userHandle: options.user.id };
    this.credentials.push(credential);
    const rpId = tweaks.rpId ?? options.rp.id ?? new URL(this.origin).hostname;
    const authData = Buffer.concat([
      this.#head(rpId, FLAG_AT, tweaks, 0),
      Buffer.alloc(16), // AAGUID: none
      Buffer.from([credential.id.length >> 8, credential.id.length & 0xff]),
      credential.id,
      Buffer.from(cose),
    ]);
    const clientDataJSON = this.#clientData("webauthn.create", tweaks.challenge ?? options.challenge, tweaks);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ["fmt", "none"],
        ["attStmt", new Map<string, string>()],
        ["authData", new Uint8Array(authData)],
      ]),
    );
    const id = credential.id.toString("base64url");
    return {
      id,
      rawId: id,
      type: "public-key",
      clientExtensionResults: { credProps: { rk: true } },
      response: {
        clientDataJSON: Buffer.from(clientDataJSON).toString("base64url"),
        attestationObject: Buffer.from(attestationObject).toString("base64url"),
        transports: ["internal"],
      },
    };
  }

  /** navigator.credentials.get with a credential of this authenticator (the first allowed one, else the first made). */
  get(options: PublicKeyCredentialRequestOptionsJSON, tweaks: CeremonyTweaks = {}, credential?: SoftCredential): AuthenticationResponseJSON {
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const chosen = credential ?? this.credentials.find((c) => allowed.size === 0 || allowed.has(c.id.toString("base64url")));
    if (chosen === undefined) throw new Error("NotAllowedError: no credential of this authenticator is allowed");
    chosen.counter += 1;
    const rpId = tweaks.rpId ?? options.rpId ?? new URL(this.origin).hostname;
    const authData = this.#head(rpId, 0, tweaks, chosen.counter);
    const clientDataJSON = this.#clientData("webauthn.get", tweaks.challenge ?? options.challenge, tweaks);
    const signature = sign("sha256", Buffer.concat([authData, createHash("sha256").update(clientDataJSON).digest()]), chosen.privateKey);
    const id = chosen.id.toString("base64url");
    return {
      id,
      rawId: id,
      type: "public-key",
      clientExtensionResults: {},
      response: {
        clientDataJSON: Buffer.from(clientDataJSON).toString("base64url"),
        authenticatorData: authData.toString("base64url"),
        signature: signature.toString("base64url"),
        userHandle: chosen.userHandle,
      },
    };
  }

  #head(rpId: string, extraFlags: number, tweaks: CeremonyTweaks, counter: number): Buffer {
    const uv = tweaks.userVerified ?? this.userVerified;
    const head = Buffer.alloc(37);
    createHash("sha256").update(rpId).digest().copy(head, 0);
    head[32] = FLAG_UP | (uv ? FLAG_UV : 0) | extraFlags;
    head.writeUInt32BE(counter, 33);
    return head;
  }

  #clientData(type: string, challenge: string, tweaks: CeremonyTweaks): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: tweaks.origin ?? this.origin, crossOrigin: false }));
  }
}
