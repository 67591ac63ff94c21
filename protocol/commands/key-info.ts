// The public description of a registered key, as key.generate, key.list and key.get answer it.

export type KeyInfo = {
  keyId: string;
  label: string;
  /** The group the active policy puts the key in (a policy change can move keys between groups). */
  group: string;
  curve: 'secp256k1';
  /** EIP-55 checksummed address. */
  address: string;
  /** Uncompressed SEC1 public key (65 bytes). */
  publicKey: Uint8Array;
  createdAt: number;
  /** Hash of the policy active when the key was generated. */
  policyHash: Uint8Array;
  /** PEM key attestation certificate, signed by the device attestation key. */
  certificate: string;
};

/** A listed key: its current group and the group it was generated in. */
export type ListedKey = KeyInfo & {
  generatedInGroup: string;
};
