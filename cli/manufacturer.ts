// The emulated manufacturer CA: made once, kept outside every device (var/manufacturer/, key file
// 0600). It certifies each device's attestation key at device creation.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createManufacturerCa, type ManufacturerCa } from '../attestation/certificates.js';

export function manufacturerDir(varRoot: string): string {
  return resolve(varRoot, 'manufacturer');
}

export function manufacturerFiles(varRoot: string): { certPem: string; keyPem: string } {
  const dir = manufacturerDir(varRoot);
  return { certPem: join(dir, 'ca-cert.pem'), keyPem: join(dir, 'ca-key.pem') };
}

export async function initManufacturer(varRoot: string): Promise<{ created: boolean; certFile: string }> {
  const files = manufacturerFiles(varRoot);
  if (existsSync(files.certPem)) return { created: false, certFile: files.certPem };
  mkdirSync(manufacturerDir(varRoot), { recursive: true, mode: 0o700 });
  const ca = await createManufacturerCa({ commonName: 'Emulated HSM Manufacturer CA' });
  writeFileSync(files.keyPem, ca.privateKeyPem, { mode: 0o600, flag: 'wx' });
  chmodSync(files.keyPem, 0o600);
  writeFileSync(files.certPem, ca.certPem);
  return { created: true, certFile: files.certPem };
}

export function loadManufacturer(varRoot: string): ManufacturerCa {
  const files = manufacturerFiles(varRoot);
  return { certPem: readFileSync(files.certPem, 'utf8'), privateKeyPem: readFileSync(files.keyPem, 'utf8') };
}
