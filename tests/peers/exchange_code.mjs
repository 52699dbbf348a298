// Runs the real `exchangeCodeForTokens` of @sigma-auth/better-auth-plugin against a live
// Sigil server and prints its result (or the error it threw) as one JSON line.
// Input: one JSON object on stdin {issuerUrl, code, redirectUri, clientId, memberPrivateKey, codeVerifier}.
import { exchangeCodeForTokens } from "@sigma-auth/better-auth-plugin/server";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const options = JSON.parse(Buffer.concat(chunks).toString("utf8"));

try {
  const result = await exchangeCodeForTokens(options);
  process.stdout.write(JSON.stringify({ ok: true, result }) + "\n");
} catch (err) {
  const error = err instanceof Error ? { error: err.message, stack: err.stack } : err;
  process.stdout.write(JSON.stringify({ ok: false, error }) + "\n");
}
