// Base units (wei, a token's smallest unit) as an exact decimal string in token units, from a bigint
// (no floating point): 1500000000000000000 wei with 18 decimals is "1.5". And the readable amount
// the bridge and hsmctl show beside a base-unit amount: "1.5 ETH" for a native coin; an ERC-20 in
// token units when the policy gives its decimals, otherwise its base units and that they are unknown.

/** Decimals of a native coin (ETH): fixed by the chain, not by the policy. */
export const NATIVE_DECIMALS = 18;
export const NATIVE_SYMBOL = 'ETH';
/** The most decimals the policy accepts for an asset (firmware-policy/policy-document.ts). */
export const MAX_DECIMALS = 77;

/** `base` in units of 10^decimals, exactly: trailing zeros of the fraction dropped, no point for a whole number. */
export function formatUnits(base: bigint, decimals: number): string {
  if (!Number.isSafeInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) throw new RangeError(`"decimals" expected an integer from 0 to ${MAX_DECIMALS}, got ${decimals}`);
  const sign = base < 0n ? '-' : '';
  const digits = (base < 0n ? -base : base).toString();
  if (decimals === 0) return sign + digits;
  const padded = digits.padStart(decimals + 1, '0');
  const whole = padded.slice(0, padded.length - decimals);
  const fraction = padded.slice(padded.length - decimals).replace(/0+$/, '');
  return sign + whole + (fraction ? `.${fraction}` : '');
}

/** An asset id as the policy names it: "<chainId>:native" or "<chainId>:erc20:0x<token>". */
export function isNativeAsset(asset: string): boolean {
  return /^[0-9]+:native$/.test(asset);
}

/**
 * A base-unit amount (a decimal string or bigint) of `asset`, readable: "1.5 ETH" (native, 18
 * decimals), "2.5 of token 0xab…" (ERC-20 with the policy's decimals), or for an ERC-20 whose
 * decimals the policy does not give "2500000 base units of token 0xab… (decimals unknown)".
 */
export function amountInUnits(amount: string | bigint, asset: string, decimals: number | null | undefined): string {
  const base = typeof amount === 'bigint' ? amount : BigInt(amount);
  if (isNativeAsset(asset)) return `${formatUnits(base, NATIVE_DECIMALS)} ${NATIVE_SYMBOL}`;
  const token = /^[0-9]+:erc20:(0x[0-9a-fA-F]{40})$/.exec(asset)?.[1];
  const what = token ? `token ${token}` : `asset ${asset}`;
  if (decimals === null || decimals === undefined) return `${base.toString()} base units of ${what} (decimals unknown)`;
  return `${formatUnits(base, decimals)} of ${what} (${decimals} decimals)`;
}
