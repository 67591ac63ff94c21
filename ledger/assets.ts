// Asset ids of the ledger: native coin per chain `"<chainId>:native"`, an ERC-20 token per chain
// `"<chainId>:erc20:0x<40 lower-case hex>"`. One spelling per asset, so ids compare as strings.
import { LedgerError } from './errors.js';

const ASSET_RE = /^([1-9][0-9]{0,19}):(native|erc20:0x[0-9a-f]{40})$/;

export function isAssetId(x: string): boolean {
  return ASSET_RE.test(x);
}

export function assertAssetId(x: string): void {
  if (!isAssetId(x)) throw new LedgerError('bad_entry', 'bad asset id', { asset: x });
}

export function nativeAsset(chainId: number | bigint): string {
  return `${BigInt(chainId)}:native`;
}

export function erc20Asset(chainId: number | bigint, token: string): string {
  const id = `${BigInt(chainId)}:erc20:${token.toLowerCase()}`;
  assertAssetId(id);
  return id;
}
