// AWS Encryption SDK for JavaScript: raw AES-256 wrapping keyring, the key-committing non-signing
// suite, commitment required on both sides. The field's place goes in the encryption context, the
// SDK's way of binding associated data (and part of the message it writes).
import { randomBytes } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  buildClient,
} from '@aws-crypto/client-node';
import { opsPerSecondAsync } from '../lib/timing.ts';
import type { PeerResult } from './peer.ts';

/** Measures `encrypt` of `plaintext` with `context` as the encryption context. */
export async function awsEsdkPeer(
  plaintext: Buffer,
  context: Record<string, string>,
  minMs = 2000,
): Promise<PeerResult> {
  const { encrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyNamespace: 'chatvault-bench',
    keyName: 'tenant-data-key',
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const options = {
    suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
    encryptionContext: context,
  };
  const { result } = await encrypt(keyring, plaintext, options);
  const opsPerSecond = await opsPerSecondAsync(() => encrypt(keyring, plaintext, options), { minMs });
  return { opsPerSecond, overheadBytes: result.length - plaintext.length };
}
