/**
 * The two hash-wasm functions oncelink uses, in one module that callers load with `import()`: browser pages then
 * fetch the WebAssembly (~40 KB) only for links that need it (a passphrase, a file), and the bundler keeps only
 * these two of hash-wasm's algorithms (a dynamic import of "hash-wasm" itself would pull in all of them).
 */
export { argon2id, createSHA256 } from "hash-wasm";
