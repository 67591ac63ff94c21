// libfaketime lives beside the reliability tools, which use it too; tests import it from here.
export * from '../../reliability/faketime.js';
