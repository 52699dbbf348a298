// A relying party on plain node:http that signs in with the published Sigma client.
//
//   GET  /                       the page with "Sign in with Sigma" (signIn.sigma)
//   GET  /auth/sigma/callback    the same page; the plugin's handleCallback finishes the flow
//   POST /api/auth/sigma/callback  exchangeCodeForTokens: the token request signed with the
//                                  app's member key (SIGMA_MEMBER_PRIVATE_KEY), then userinfo
//   GET  /static/client.js       client.js bundled with esbuild at start-up (nothing to commit)
//
// Environment: NEXT_PUBLIC_SIGMA_AUTH_URL (the Sigil server), NEXT_PUBLIC_SIGMA_CLIENT_ID,
// SIGMA_MEMBER_PRIVATE_KEY (WIF), PORT (default 3100; 0 picks a free one),
// NEXT_PUBLIC_APP_URL (default http://127.0.0.1:<port>).
import http from "node:http";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { exchangeCodeForTokens } from "@sigma-auth/better-auth-plugin/server";

const env = process.env;
const authUrl = (env.NEXT_PUBLIC_SIGMA_AUTH_URL || "http://127.0.0.1:3000").replace(/\/$/, "");
const clientId = env.NEXT_PUBLIC_SIGMA_CLIENT_ID;
const memberKey = env.SIGMA_MEMBER_PRIVATE_KEY;
if (!clientId || !memberKey) {
  console.error("set NEXT_PUBLIC_SIGMA_CLIENT_ID and SIGMA_MEMBER_PRIVATE_KEY (see README.md)");
  process.exit(2);
}

async function bundle() {
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("./client.js", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2020",
    minify: true,
    // What Next.js does with NEXT_PUBLIC_* variables: inline them, and give the code a `process`.
    define: {
      "process.env.NEXT_PUBLIC_SIGMA_AUTH_URL": JSON.stringify(authUrl),
      "process.env.NEXT_PUBLIC_SIGMA_CLIENT_ID": JSON.stringify(clientId),
    },
    banner: { js: "globalThis.process = globalThis.process || { env: {} };" },
    logLevel: "error",
  });
  return result.outputFiles[0].contents;
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sigma client example</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; color: #1d2330; }
 .card { border: 1px solid #d6dae3; border-radius: 12px; padding: 2rem; }
 button { font-size: 1rem; padding: .7rem 1.4rem; border-radius: 8px; border: 0; background: #1f6feb; color: #fff; cursor: pointer; }
 dt { font-weight: 600; margin-top: .8rem; } dd { margin: .2rem 0; font-family: monospace; word-break: break-all; }
 #failure h2 { color: #b02a2a; }
</style></head>
<body><h1>Sigma client example</h1><div class="card">
 <div id="start"><p>This page uses the published <code>@sigma-auth/better-auth-plugin</code> client.</p>
  <button id="sign-in">Sign in with Sigma</button></div>
 <p id="status" hidden>Finishing sign-in…</p>
 <div id="user" hidden><h2 id="welcome"></h2><dl>
  <dt>BAP ID</dt><dd id="bap-id"></dd><dt>Public key</dt><dd id="pubkey"></dd><dt>Subject</dt><dd id="sub"></dd></dl></div>
 <div id="failure" hidden><h2>Sign-in did not complete</h2><p>Error: <code id="error"></code></p><p id="error-description"></p></div>
</div><script type="module" src="/static/client.js"></script></body></html>`;

function send(res, status, type, body) {
  res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
  res.end(body);
}

async function readJson(req) {
  let raw = "";
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 65536) throw new Error("body too large");
  }
  return JSON.parse(raw || "{}");
}

// The token exchange, as the package's Next.js handler does it, on node:http.
async function callback(req, res, appUrl) {
  let body;
  try {
    body = await readJson(req);
  } catch {
    return send(res, 400, "application/json", JSON.stringify({ error: "Bad request", details: "JSON body expected" }));
  }
  if (!body.code) {
    return send(res, 400, "application/json", JSON.stringify({ error: "Missing authorization code" }));
  }
  try {
    const result = await exchangeCodeForTokens({
      code: body.code,
      redirectUri: `${appUrl}/auth/sigma/callback`,
      clientId,
      memberPrivateKey: memberKey,
      codeVerifier: body.code_verifier,
      issuerUrl: authUrl,
    });
    send(res, 200, "application/json", JSON.stringify({
      user: result.user, access_token: result.access_token, id_token: result.id_token,
      refresh_token: result.refresh_token,
    }));
  } catch (err) {
    const status = Number.isInteger(err?.status) && err.status >= 400 ? err.status : 502;
    send(res, status, "application/json", JSON.stringify({
      error: err?.error ?? "Token exchange failed", details: err?.details ?? String(err?.message ?? err),
    }));
  }
}

const script = await bundle();
let appUrl = env.NEXT_PUBLIC_APP_URL?.replace(/\/$/, "");
const server = http.createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (req.method === "GET" && (path === "/" || path === "/auth/sigma/callback")) {
    return send(res, 200, "text/html; charset=utf-8", PAGE);
  }
  if (req.method === "GET" && path === "/static/client.js") {
    return send(res, 200, "text/javascript; charset=utf-8", script);
  }
  if (req.method === "GET" && path === "/api/auth/get-session") {
    return send(res, 200, "application/json", "null"); // this example keeps no session of its own
  }
  if (req.method === "POST" && path === "/api/auth/sigma/callback") {
    return void callback(req, res, appUrl);
  }
  send(res, 404, "text/plain", "Not found");
});
server.listen(Number(env.PORT ?? 3100), env.HOST || "127.0.0.1", () => {
  const { address, port } = server.address();
  appUrl = appUrl || `http://${address}:${port}`;
  console.log(`sigma client example on ${appUrl} (redirect URI ${appUrl}/auth/sigma/callback), issuer ${authUrl}`);
});
