// What an admin may not allowlist as a plain contract call (groups.<g>.contracts), checked when a
// policy is parsed: calls the firmware would sign without counting what they move or grant.
// - A selector that grants spending or operator rights (an ERC-20 approve or permit, Permit2's
//   approve and permit, ERC-721/1155 setApprovalForAll, and the common non-standard variants): an
//   allowance is spending capability, judged only through the decoded ERC-20 calls and typed data
//   (rules/token-allowance.ts), never through the contract allowlist.
// - Any call to a token that is one of the group's own ERC-20 assets on that chain: calls to it are
//   judged through its decoded selectors only, so an allowlisted selector (transferAndCall, a
//   multicall) cannot move the token past its limits.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ApplianceError } from '../protocol/errors.js';
import { erc20AssetId, type GroupPolicy } from './policy-document.js';

/** Signatures whose selectors may not be allowlisted on any contract. */
export const GRANT_SIGNATURES: readonly string[] = [
  'approve(address,uint256)',
  'increaseAllowance(address,uint256)',
  'increaseApproval(address,uint256)',
  'approveAndCall(address,uint256,bytes)',
  'permit(address,address,uint256,uint256,uint8,bytes32,bytes32)',
  'permit(address,address,uint256,uint256,bool,uint8,bytes32,bytes32)',
  'approve(address,address,uint160,uint48)',
  'permit(address,((address,uint160,uint48,uint48),address,uint256),bytes)',
  'permit(address,((address,uint160,uint48,uint48)[],address,uint256),bytes)',
  'setApprovalForAll(address,bool)',
];

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const selectorOf = (signature: string) => hex(keccak_256(new TextEncoder().encode(signature)).slice(0, 4));

/** Selector (lowercase hex) → the signature it grants by. */
export const GRANT_SELECTORS: ReadonlyMap<string, string> = new Map(GRANT_SIGNATURES.map((s) => [selectorOf(s), s]));

/** Throws bad_request naming the entry when a group's contract allowlist holds what the firmware would not count. */
export function checkContractEntries(group: GroupPolicy, path: string): void {
  const tokens = new Set(Object.keys(group.assets).filter((a) => a.includes(':erc20:')));
  (group.contracts ?? []).forEach((c, i) => {
    if (tokens.has(erc20AssetId(c.chainId, c.address))) {
      throw new ApplianceError('bad_request', `policy "${path}[${i}].address" is one of this group's ERC-20 assets: calls to it are judged through its decoded ERC-20 calls only, not allowlisted`, {
        field: `${path}[${i}].address`,
      });
    }
    c.selectors.forEach((s, j) => {
      const grants = GRANT_SELECTORS.get(hex(s));
      if (grants !== undefined) {
        throw new ApplianceError('bad_request', `policy "${path}[${i}].selectors[${j}]" is ${grants}, which grants spending or operator rights the contract allowlist would not count`, {
          field: `${path}[${i}].selectors[${j}]`,
        });
      }
    });
  });
}
