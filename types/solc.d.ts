// The npm solc package ships no type declarations; this is the one function the tests call.
declare module 'solc' {
  const solc: { compile(input: string): string; version(): string };
  export default solc;
}
