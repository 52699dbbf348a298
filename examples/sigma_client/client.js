// The browser side, bundled by server.mjs with esbuild (no CDN): the published
// @sigma-auth/better-auth-plugin client, exactly as a Next.js app would use it.
import { createAuthClient } from "better-auth/client";
import { sigmaClient } from "@sigma-auth/better-auth-plugin/client";

const CLIENT_ID = process.env.NEXT_PUBLIC_SIGMA_CLIENT_ID; // inlined at bundle time, like Next.js does

export const authClient = createAuthClient({
  baseURL: window.location.origin, // this app; the plugin sends the browser to NEXT_PUBLIC_SIGMA_AUTH_URL
  plugins: [sigmaClient()],
});

const $ = (id) => document.getElementById(id);

function showUser(user) {
  $("welcome").textContent = `Signed in as ${user.name ?? "?"}`;
  $("bap-id").textContent = user.bap_id ?? "-";
  $("pubkey").textContent = user.pubkey ?? "-";
  $("sub").textContent = user.sub ?? "-";
  $("user").hidden = false;
}

function showError(title, message) {
  $("error").textContent = title;
  $("error-description").textContent = message;
  $("failure").hidden = false;
}

// Landing page: one button.
$("sign-in")?.addEventListener("click", () => {
  authClient.signIn.sigma({ clientId: CLIENT_ID, callbackURL: "/auth/sigma/callback" });
});

// Callback page: the plugin checks state, then posts code + PKCE verifier to our Node route,
// which calls exchangeCodeForTokens with the member key (server side only).
if (window.location.pathname === "/auth/sigma/callback") {
  $("start").hidden = true;
  $("status").hidden = false;
  authClient.sigma
    .handleCallback(new URLSearchParams(window.location.search))
    .then((result) => showUser(result.user))
    .catch((err) => showError(err?.title ?? "Sign-in failed", err?.message ?? String(err)))
    .finally(() => { $("status").hidden = true; });
}
