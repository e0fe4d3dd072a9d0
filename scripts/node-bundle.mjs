// How the files Node runs outside Next are bundled (esbuild): the server and its worker threads in the
// production build, the workers once per test run (lib/testing/global-setup.ts). Packages stay
// imports, resolved from the node_modules beside the bundle.
export const NODE_BUNDLE = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  outExtension: { ".js": ".mjs" },
  logLevel: "warning",
};
