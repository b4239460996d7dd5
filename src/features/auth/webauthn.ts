import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';

const b64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*={0,2}$/);

/** A browser's `PublicKeyCredential` JSON, bounded before the library parses it. */
export const credentialJson = z
  .object({
    id: b64url(1024),
    rawId: b64url(1024),
    type: z.literal('public-key'),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    clientExtensionResults: z.record(z.string().max(64), z.unknown()).default({}),
    response: z
      .object({
        clientDataJSON: b64url(8192),
        attestationObject: b64url(65536).optional(),
        authenticatorData: b64url(8192).optional(),
        signature: b64url(8192).optional(),
        userHandle: b64url(1024).optional(),
        transports: z.array(z.string().max(32)).max(10).optional(),
        publicKey: b64url(8192).optional(),
        publicKeyAlgorithm: z.number().int().optional(),
      })
      .strip(),
  })
  .strip();

export interface StoredPasskey {
  readonly credentialId: string;
  readonly publicKey: Uint8Array;
  readonly counter: number;
  readonly transports: string[];
}

/**
 * WebAuthn with user verification required (a passkey counts as a second factor only if the
 * authenticator checked a PIN or biometric). The relying party is the public URL: its host name is
 * the rpID, its origin the only accepted origin.
 */
export function createWebauthn(config: { publicUrl: string; rpName: string }) {
  const origin = new URL(config.publicUrl).origin;
  const rpID = new URL(config.publicUrl).hostname;
  const allow = (list: readonly StoredPasskey[]) =>
    list.map((p) => ({ id: p.credentialId, transports: p.transports }));

  return {
    rpID,
    origin,

    registrationOptions(user: { id: string; name: string; displayName: string }, existing: StoredPasskey[]) {
      return generateRegistrationOptions({
        rpName: config.rpName,
        rpID,
        userName: user.name,
        userDisplayName: user.displayName,
        userID: new TextEncoder().encode(user.id),
        attestationType: 'none',
        excludeCredentials: allow(existing),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      });
    },

    /** The new credential, or undefined when the response does not prove a user-verified key. */
    async verifyRegistration(response: unknown, expectedChallenge: string) {
      try {
        const result = await verifyRegistrationResponse({
          response: response as RegistrationResponseJSON,
          expectedChallenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          requireUserVerification: true,
        });
        if (!result.verified || !result.registrationInfo.userVerified) return undefined;
        const info = result.registrationInfo;
        return {
          credentialId: info.credential.id,
          publicKey: Buffer.from(info.credential.publicKey),
          counter: info.credential.counter,
          transports: info.credential.transports ?? [],
          deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp,
        };
      } catch {
        return undefined;
      }
    },

    authenticationOptions(passkeys: StoredPasskey[]) {
      return generateAuthenticationOptions({
        rpID,
        allowCredentials: allow(passkeys),
        userVerification: 'required',
      });
    },

    /** The authenticator's new counter, or undefined when the assertion does not verify. */
    async verifyAuthentication(response: unknown, expectedChallenge: string, passkey: StoredPasskey) {
      try {
        const result = await verifyAuthenticationResponse({
          response: response as AuthenticationResponseJSON,
          expectedChallenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          requireUserVerification: true,
          credential: {
            id: passkey.credentialId,
            publicKey: new Uint8Array(passkey.publicKey),
            counter: passkey.counter,
            transports: passkey.transports,
          },
        });
        return result.verified && result.authenticationInfo.userVerified
          ? result.authenticationInfo.newCounter
          : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export type Webauthn = ReturnType<typeof createWebauthn>;
