// What a Workers bundler (wrangler) gives for `import wasm from "….wasm"`.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
