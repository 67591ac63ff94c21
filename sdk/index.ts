// The package others import as `hsm-signer-appliance/sdk` (package.json "exports"): the bridge's typed
// client, the viem account and the ethers signer backed by the appliance, and their typed errors
// (docs/integrations.md).
export { applianceAccount, viemToBridge, type ApplianceAccountOptions } from './viem-account.js';
export { ApplianceSigner, ethersToBridge } from './ethers-signer.js';
export { SigningFlow, type ApplianceSigningOptions, type SignedAnswer } from './signing-flow.js';
export {
  BridgeClient,
  CLIENT_ROUTES,
  parseEventStream,
  type BridgeClientOptions,
  type BridgeEvent,
  type BridgeEventType,
  type BridgeKey,
  type BridgeTransaction,
  type BridgeTypedData,
  type KeyPage,
  type RequestStamp,
  type SignAnswer,
  type SignEvmTransactionBody,
  type SignTypedDataBody,
  type Stamper,
  type StampingPrincipal,
  type WaitOptions,
} from './bridge-client.js';
export * from './errors.js';
