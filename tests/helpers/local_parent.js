// A Sigma app's page that signs through the local signer: the published
// @sigma-auth/better-auth-plugin (bundled by esbuild from examples/sigma_client's node_modules)
// with sigmaClient({ preferLocal: true }). The plugin finds the signer at
// NEXT_PUBLIC_TOKENPASS_URL (the page sets it, as Next.js would), probes /api/status, asks
// /api/auth for a grant and calls the local API with fetch. The test drives it as it drives
// frame_parent.js: `frameTest.start(id, () => promise)`, then `frameTest.results[id]`.
import { createAuthClient } from "better-auth/client";
import { sigmaClient } from "@sigma-auth/better-auth-plugin/client";

// The plugin gives each local call 5 s by default, /api/auth included, which waits for a
// person to approve in Sigil: an app that uses preferLocal wants more.
const client = createAuthClient({
  baseURL: window.location.origin,
  plugins: [sigmaClient({ preferLocal: true, localServerTimeout: 30000 })],
});
const messages = []; // what a frame would have posted: nothing, on this path
const results = {};

window.addEventListener("message", (event) => messages.push(event.data));

function start(id, work) {
  results[id] = { done: false };
  Promise.resolve()
    .then(work)
    .then((value) => { results[id] = { done: true, ok: true, value }; },
          (err) => { results[id] = { done: true, ok: false, error: String(err?.message ?? err) }; });
}

window.frameTest = { client, messages, results, start };
