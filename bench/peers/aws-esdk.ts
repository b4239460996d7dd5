// AWS Encryption SDK for JavaScript: raw AES-256 wrapping keyring, the key-committing non-signing
// suite, commitment required on both sides. The field's place goes in the encryption context, the
// SDK's way of binding associated data (it is stored in the message header).
import { randomBytes } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  buildClient,
} from '@aws-crypto/client-node';
import type { Peer } from './peer.ts';

/** `encrypt` of `plaintext` with `context` as the encryption context. */
export async function awsEsdkPeer(plaintext: Buffer, context: Record<string, string>): Promise<Peer> {
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
  return {
    encryptOnce: () => encrypt(keyring, plaintext, options),
    overheadBytes: result.length - plaintext.length,
  };
}
