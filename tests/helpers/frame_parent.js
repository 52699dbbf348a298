// A Sigma app's page for the /signer frame tests, bundled with esbuild from the published
// @sigma-auth/better-auth-plugin (examples/sigma_client's node_modules), no preferLocal: the
// plugin loads <issuer>/signer in an iframe. `frameTest.cwi` speaks the CWI protocol of later
// plugins (not on npm), written from its message shapes. The test drives both through
// `frameTest.start(id, () => promise)` and reads `frameTest.results[id]` and `frameTest.messages`.
import { createAuthClient } from "better-auth/client";
import { sigmaClient } from "@sigma-auth/better-auth-plugin/client";

const sigmaUrl = globalThis.process.env.NEXT_PUBLIC_SIGMA_AUTH_URL;
const client = createAuthClient({ baseURL: window.location.origin, plugins: [sigmaClient()] });
const messages = []; // every message the frame's origin sent us
const results = {};

window.addEventListener("message", (event) => {
  if (event.origin === sigmaUrl) messages.push(event.data);
});

function start(id, work) {
  results[id] = { done: false };
  Promise.resolve()
    .then(work)
    .then((value) => { results[id] = { done: true, ok: true, value }; },
          (err) => { results[id] = { done: true, ok: false, error: String(err?.message ?? err) }; });
}

// CWI: wait for the frame's first state message, then one invocation at a time by id.
function cwiFrame() {
  const iframe = document.createElement("iframe");
  iframe.src = `${sigmaUrl}/signer`;
  iframe.style.cssText = "width:0;height:0;border:0";
  const pending = new Map();
  let ready;
  const handshake = new Promise((resolve) => { ready = resolve; });
  window.addEventListener("message", (event) => {
    if (event.origin !== sigmaUrl || event.data?.type !== "CWI") return;
    if (event.data.cwiState) return ready();
    const waiting = pending.get(event.data.id);
    if (!waiting || event.data.isInvocation !== false) return;
    pending.delete(event.data.id);
    if (event.data.status === "error") waiting.reject(new Error(event.data.description));
    else waiting.resolve(event.data.result);
  });
  document.body.appendChild(iframe);
  return {
    async call(call, args) {
      await handshake;
      const id = crypto.randomUUID();
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        iframe.contentWindow.postMessage({ type: "CWI", isInvocation: true, id, call, args }, sigmaUrl);
      });
    },
  };
}

let cwi = null;
window.frameTest = {
  client, messages, results, start, sigmaUrl,
  get cwi() { cwi = cwi || cwiFrame(); return cwi; },
};
