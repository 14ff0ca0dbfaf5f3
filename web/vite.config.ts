// Builds the web page into dist/public: one hashed JS and CSS file per entry, relative URLs (so the
// page works under any --public-url path), no inline script (the page's CSP forbids it).
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

/**
 * The client SDK loads its Node-only module (files, state directories) with a dynamic import that
 * never runs in a browser; give the bundler an empty module there instead of node:fs and friends.
 */
function browserClient(): Plugin {
  const stub = "\0taskdrop-client-node-stub";
  return {
    name: "taskdrop-browser-client",
    enforce: "pre",
    resolveId(source, importer) {
      if (source === "./node.js" && importer && /[\\/]src[\\/]client[\\/]/.test(importer)) return stub;
      return null;
    },
    load(id) {
      return id === stub ? "export {};" : null;
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  plugins: [browserClient()],
  build: {
    outDir: fileURLToPath(new URL("../dist/public", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
