// A line-oriented bridge to `openid-client` (the certified relying-party library), for Sigil's
// interop tests. Each stdin line is a JSON request, each stdout line its JSON answer, in order;
// a thrown error answers {"error", "code"?, "status"?, "oauth"?}.
//   {"op":"discover", "rp", "issuer", "clientId", "auth": {"method", "secret"?, "jwk"?, "kid"?, "wif"?}, "redirectUri"}
//        -> {"metadata"}        one configuration per `rp` name, id_token signatures checked (JWKS);
//        method x_auth_token: the README's recipe, a customFetch that signs each POST's path and body
//   {"op":"register", "rp", "issuer", "metadata", "initialAccessToken", "auth"}
//        -> {"clientId", "clientSecret"?}   RFC 7591 registration, then used like a discovered one
//   {"op":"authorize_url", "rp", "scope", "extra"?}      -> {"url"}    PKCE S256, state, nonce kept here
//   {"op":"callback", "rp", "url", "maxAge"?}            -> {"tokens", "claims"}  code exchange, all checks
//   {"op":"refresh", "rp"}                               -> {"tokens", "claims"}
//   {"op":"userinfo", "rp"}                              -> {"userinfo"}  (sub checked against the id_token)
//   {"op":"introspect", "rp", "token"}                   -> {"introspection"}
//   {"op":"revoke", "rp", "token"}                       -> {}
//   {"op":"device_start", "rp", "scope"}                 -> {"user_code", "verification_uri_complete"}
//   {"op":"device_poll", "rp"}                           -> {"tokens", "claims"}
//   {"op":"end_session_url", "rp", "postLogoutRedirectUri", "state"} -> {"url"}
import readline from "node:readline";
import * as client from "openid-client";
import { getAuthToken } from "bitcoin-auth";

const rps = new Map();

async function privateKey(jwk) {
  const algorithm = jwk.kty === "EC" ? { name: "ECDSA", namedCurve: jwk.crv }
    : jwk.kty === "OKP" ? { name: "Ed25519" }
    : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  return crypto.subtle.importKey("jwk", jwk, algorithm, false, ["sign"]);
}

async function clientAuth(auth) {
  switch (auth.method) {
    case "client_secret_basic": return client.ClientSecretBasic(auth.secret);
    case "client_secret_post": return client.ClientSecretPost(auth.secret);
    case "private_key_jwt": return client.PrivateKeyJwt({ key: await privateKey(auth.jwk), kid: auth.kid });
    case "none": case "x_auth_token": return client.None();  // None() names the client by client_id
    default: throw new Error(`unknown auth method ${auth.method}`);
  }
}

// A Sigma client with a standard library: sign the exact path and form body of every POST.
function xAuthTokenFetch(wif) {
  return (url, options) => {
    if (options.method === "POST" && options.body) {
      const body = options.body.toString();
      const headers = new Headers(options.headers);
      headers.set("X-Auth-Token", getAuthToken({ privateKeyWif: wif, requestPath: new URL(url).pathname, body }));
      return fetch(url, { ...options, headers, body });
    }
    return fetch(url, options);
  };
}

function tokensOf(rp, tokens) {
  rp.tokens = { ...rp.tokens, ...tokens };
  const claims = tokens.claims ? tokens.claims() : undefined;
  if (claims) rp.claims = claims;
  return { tokens: { ...tokens }, claims };
}

async function handle(req) {
  const rp = rps.get(req.rp);
  switch (req.op) {
    case "discover": {
      const options = { execute: [client.allowInsecureRequests] };
      if (req.auth.method === "x_auth_token") options[client.customFetch] = xAuthTokenFetch(req.auth.wif);
      const config = await client.discovery(new URL(req.issuer), req.clientId, { redirect_uris: [req.redirectUri] },
        await clientAuth(req.auth), options);
      client.enableNonRepudiationChecks(config);  // id_token signatures checked against the JWKS
      rps.set(req.rp, { config, redirectUri: req.redirectUri });
      return { metadata: config.serverMetadata() };
    }
    case "register": {
      const config = await client.dynamicClientRegistration(new URL(req.issuer), req.metadata,
        req.auth ? await clientAuth(req.auth) : undefined,
        { initialAccessToken: req.initialAccessToken, execute: [client.allowInsecureRequests] });
      client.enableNonRepudiationChecks(config);
      rps.set(req.rp, { config, redirectUri: req.metadata.redirect_uris[0] });
      const metadata = config.clientMetadata();
      return { clientId: metadata.client_id, clientSecret: metadata.client_secret };
    }
    case "authorize_url": {
      rp.verifier = client.randomPKCECodeVerifier();
      rp.state = client.randomState();
      rp.nonce = client.randomNonce();
      const params = { redirect_uri: rp.redirectUri, scope: req.scope, state: rp.state, nonce: rp.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(rp.verifier), code_challenge_method: "S256",
        ...(req.extra ?? {}) };
      rp.maxAge = req.extra?.max_age ? Number(req.extra.max_age) : undefined;
      return { url: client.buildAuthorizationUrl(rp.config, params).href };
    }
    case "callback": {
      const tokens = await client.authorizationCodeGrant(rp.config, new URL(req.url), {
        pkceCodeVerifier: rp.verifier, expectedState: rp.state, expectedNonce: rp.nonce, maxAge: rp.maxAge,
        idTokenExpected: true });
      return tokensOf(rp, tokens);
    }
    case "refresh":
      return tokensOf(rp, await client.refreshTokenGrant(rp.config, rp.tokens.refresh_token));
    case "userinfo":
      return { userinfo: await client.fetchUserInfo(rp.config, rp.tokens.access_token, rp.claims.sub) };
    case "introspect":
      return { introspection: await client.tokenIntrospection(rp.config, req.token) };
    case "revoke":
      await client.tokenRevocation(rp.config, req.token);
      return {};
    case "device_start": {
      rp.device = await client.initiateDeviceAuthorization(rp.config, { scope: req.scope });
      return { user_code: rp.device.user_code, verification_uri_complete: rp.device.verification_uri_complete };
    }
    case "device_poll":
      return tokensOf(rp, await client.pollDeviceAuthorizationGrant(rp.config, rp.device));
    case "end_session_url":
      return { url: client.buildEndSessionUrl(rp.config, { id_token_hint: rp.tokens.id_token,
        post_logout_redirect_uri: req.postLogoutRedirectUri, state: req.state }).href };
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (err) {
    answer = { error: String(err?.message ?? err), code: err?.code, status: err?.status,
      oauth: err?.error ? { error: err.error, error_description: err.error_description } : undefined,
      cause: err?.cause?.message };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
