// The two WHATWG Encoding globals the pure layers use (UTF-8 only), declared for tsconfig.pure.json,
// which leaves Node's types out so protocol/ and firmware-policy/ cannot reach Buffer, process or
// timers. They are part of the JavaScript platform in every runtime, with no I/O. The main build
// takes them from @types/node instead; this file is not in tsconfig.json.
declare class TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array<ArrayBuffer>;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
