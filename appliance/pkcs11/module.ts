// Loads a PKCS#11 module (SoftHSM2 today, any PKCS#11 HSM later) and finds tokens by a PKCS#11 URI
// (RFC 7512). This folder is the only place in the product that imports pkcs11js.
import pkcs11js from 'pkcs11js';
import { ApplianceError } from '../../protocol/errors.js';

export type Pkcs11 = pkcs11js.PKCS11;
export type Handle = pkcs11js.Handle;
export const P11 = pkcs11js;

/**
 * Opens and initialises the module. CKF_OS_LOCKING_OK is required: without it, concurrent async
 * C_Sign calls crash the process (DESIGN.md, measured facts).
 */
export function openModule(modulePath: string): Pkcs11 {
  const mod = new pkcs11js.PKCS11();
  mod.load(modulePath);
  mod.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  return mod;
}

export function closeModule(mod: Pkcs11): void {
  try {
    mod.C_Finalize();
  } finally {
    mod.close();
  }
}

/** Parses the `token` attribute of a PKCS#11 URI such as `pkcs11:token=demo`. */
export function tokenLabelFromUri(uri: string): string {
  if (!uri.startsWith('pkcs11:')) throw new ApplianceError('bad_request', 'token URI must start with "pkcs11:"');
  const attrs = uri.slice('pkcs11:'.length).split(/[;?]/);
  for (const a of attrs) {
    const eq = a.indexOf('=');
    if (eq > 0 && a.slice(0, eq) === 'token') return decodeURIComponent(a.slice(eq + 1));
  }
  throw new ApplianceError('bad_request', 'token URI has no "token" attribute');
}

export function tokenUri(label: string): string {
  return `pkcs11:token=${encodeURIComponent(label)}`;
}

/** The slot holding the initialised token with this label (labels are blank-padded to 32 bytes). */
export function findTokenSlot(mod: Pkcs11, label: string): Handle {
  for (const slot of mod.C_GetSlotList(true)) {
    const info = mod.C_GetTokenInfo(slot);
    if (info.label.replace(/[\s\0]+$/, '') === label && (info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0) return slot;
  }
  throw new ApplianceError('unavailable', `no initialised token labelled "${label}"`);
}

/**
 * Initialises a fresh token in the first free slot and sets its user PIN. PINs are passed in memory
 * only (never argv), as the SoftHSM2 command-line tool would require.
 */
export function initToken(mod: Pkcs11, label: string, soPin: string, userPin: string): void {
  const free = mod.C_GetSlotList(true).find((slot) => (mod.C_GetTokenInfo(slot).flags & pkcs11js.CKF_TOKEN_INITIALIZED) === 0);
  if (free === undefined) throw new ApplianceError('unavailable', 'no free slot to initialise a token in');
  mod.C_InitToken(free, soPin, label);
  const slot = findTokenSlot(mod, label);
  const session = mod.C_OpenSession(slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
  try {
    mod.C_Login(session, pkcs11js.CKU_SO, soPin);
    mod.C_InitPIN(session, userPin);
    mod.C_Logout(session);
  } finally {
    mod.C_CloseSession(session);
  }
}
