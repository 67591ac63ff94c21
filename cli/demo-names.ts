// The demo device's name, apart from cli/demo.ts (which loads the device-creation code), so that
// hsmctl can default --device to it without loading that code for every command.
export const DEMO_DEVICE = 'demo';
