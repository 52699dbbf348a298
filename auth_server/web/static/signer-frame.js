// The /signer frame: the page @sigma-auth/better-auth-plugin embeds (hidden) when an app does
// not use preferLocal. It takes the app's requests by postMessage, in the plugin 0.0.75 protocol
// (SIGN_REQUEST ... -> SIGN_RESPONSE ...) and in the CWI protocol of later plugins
// ({type: "CWI", isInvocation: true, id, call, args}), and relays each one to the desktop
// signer's local API on this computer, where the user approves it. No keys here, no framework.
(function () {
  "use strict";
  var root = document.getElementById("signer-frame");
  var signer = root.dataset.signerUrl;
  var allowedParents = root.dataset.parents.split(" ").filter(Boolean);
  var noticeEl = document.getElementById("notice");
  var noticeText = document.getElementById("notice-text");

  var GRANT_EXPIRY = "1h";
  var STATUS_TIMEOUT_MS = 3000;
  var UNLOCK_WAIT_MS = 25000; // the plugin gives up on a request after 30 s
  var MAX_ID = 200;

  // -- who we talk to ------------------------------------------------------------------------
  // Only the page that embeds us, and only when its origin is a registered app's (the server's
  // frame-ancestors says the same; this is the second lock on the door).
  function isAllowed(origin) {
    return allowedParents.indexOf(origin) >= 0;
  }

  function embeddingOrigin() {
    var origin = null;
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      origin = window.location.ancestorOrigins[0];
    } else if (document.referrer) {
      try { origin = new URL(document.referrer).origin; } catch (e) { origin = null; }
    }
    return isAllowed(origin) ? origin : null;
  }

  if (window.parent === window) return; // opened as a page or a window: say nothing, relay nothing
  // Known at once where the browser tells (ancestorOrigins, or the referrer); otherwise taken
  // from the parent's first message, if that comes from an allowed origin.
  var parentOrigin = embeddingOrigin();

  function post(message) {
    window.parent.postMessage(message, parentOrigin);
  }

  // -- failures, in words a person can act on --------------------------------------------------
  // `wide` failures concern every request (no signer, locked, denied): the app is told with
  // SIGNER_ERROR. The others concern one request and go back in its response.
  function Problem(message, kind, wide) {
    this.message = message;
    this.kind = kind;
    this.wide = !!wide;
  }

  var NO_SIGNER = "No Sigil signer is answering on this computer (" + signer + "). Start the Sigil app, unlock it, then try again.";

  function problemFromAnswer(path, status, data) {
    var said = (data && typeof data.error === "string") ? data.error : "";
    var code = data ? data.code : undefined;
    if (code === 1) return new Problem("Your Sigil signer is locked. Unlock it to continue.", "locked", true);
    if (code === 2 || code === 3 || code === 5) return new Problem(said || "The signer did not accept the access grant.", "grant");
    if (code === 4) return new Problem("The request was denied in Sigil" + (said ? " (" + said + ")" : "") + ".", "denied", true);
    if (code === 6 && /^Missing required scopes/i.test(said)) return new Problem(said, "scope");
    if (code === 7) return new Problem(said || "Sigil has no wallet yet: create one in the Sigil app.", "no-wallet", true);
    if (status === 404) return new Problem("This Sigil signer does not offer " + path + " yet: update the Sigil app.", "unsupported");
    return new Problem("The signer refused: " + (said || ("HTTP " + status)), "refused");
  }

  // -- the local API -----------------------------------------------------------------------------
  function callSigner(path, body, accessToken, timeoutMs) {
    var init = { method: body === undefined ? "GET" : "POST", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (accessToken) init.headers.Authorization = "Bearer " + accessToken;
    var timer = null;
    if (timeoutMs && window.AbortController) {
      var controller = new AbortController();
      init.signal = controller.signal;
      timer = setTimeout(function () { controller.abort(); }, timeoutMs);
    }
    return fetch(signer + path, init)
      .catch(function () { throw new Problem(NO_SIGNER, "unreachable", true); })
      .then(function (res) {
        clearTimeout(timer);
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (!res.ok || data.success === false) throw problemFromAnswer(path, res.status, data);
          return data;
        });
      });
  }

  function signerUnlocked() {
    return callSigner("/api/status", undefined, null, STATUS_TIMEOUT_MS).then(function (s) { return s.unlocked !== false; });
  }

  // -- the locked notice -------------------------------------------------------------------------
  var lockShown = false;
  var cancelWaits = [];

  function showLocked() {
    if (lockShown) return;
    lockShown = true;
    noticeText.textContent = "Your Sigil signer is locked. Unlock it in the Sigil window to continue.";
    noticeEl.hidden = false;
    root.classList.add("showing");
    post({ type: "WALLET_LOCKED" });
    post({ type: "CWI", cwiState: { status: "need_password", hasPermission: false } });
  }

  function hideLocked() {
    if (!lockShown) return;
    lockShown = false;
    noticeEl.hidden = true;
    root.classList.remove("showing");
    post({ type: "WALLET_UNLOCKED" });
    post({ type: "CWI", cwiState: { status: "ready", hasPermission: false } });
  }

  function waitUntilUnlocked() {
    return new Promise(function (resolve, reject) {
      var deadline = Date.now() + UNLOCK_WAIT_MS;
      var cancel = function () { reject(new Problem("Cancelled while Sigil was locked.", "cancelled", true)); };
      cancelWaits.push(cancel);
      (function poll() {
        if (cancelWaits.indexOf(cancel) < 0) return;
        signerUnlocked().then(function (unlocked) {
          if (unlocked) return resolve();
          if (Date.now() > deadline) return reject(new Problem("Sigil stayed locked; nothing was signed.", "locked", true));
          setTimeout(poll, 700);
        }, reject);
      })();
    });
  }

  document.getElementById("cancel").addEventListener("click", function () {
    var waits = cancelWaits;
    cancelWaits = [];
    waits.forEach(function (cancel) { cancel(); });
    failWide(new Problem("Cancelled in the Sigil signer frame.", "cancelled", true));
  });

  // -- the access grant (one per frame, in memory only; the user approves it in Sigil) ----------
  var grant = null; // {token, scopes, expires}
  var grantChain = Promise.resolve();
  var refusal = null; // {at, problem}: one refusal answers every request that waited for it
  var identity = null; // the BAP ID the app signed in with (SET_IDENTITY)

  function covers(g, scopes) {
    return scopes.every(function (s) { return g.scopes.indexOf(s) >= 0; }) && (!g.expires || g.expires > Date.now() + 2000);
  }

  function withGrant(scopes) {
    var queuedAt = Date.now();
    var next = grantChain.then(function () {
      if (refusal && refusal.at >= queuedAt) throw refusal.problem;
      if (grant && covers(grant, scopes)) return grant;
      var wanted = (grant ? grant.scopes : []).concat(scopes).filter(function (s, i, all) { return all.indexOf(s) === i; });
      if (!wanted.length) wanted = ["sign"];
      grant = null;
      return callSigner("/api/auth", { host: hostOf(parentOrigin), scopes: wanted, expiry: GRANT_EXPIRY })
        .then(function (answer) {
          if (typeof answer.accessToken !== "string" || !answer.accessToken) {
            throw new Problem("The signer approved but sent no access token.", "refused");
          }
          if (identity && typeof answer.bapId === "string" && answer.bapId && answer.bapId !== identity) {
            throw new Problem("Sigil approved identity " + answer.bapId + ", but this app signed you in as " + identity +
                              ". Approve again and choose that identity.", "identity");
          }
          grant = { token: answer.accessToken, scopes: wanted, expires: answer.expireTime || 0 };
          return grant;
        }, function (problem) {
          if (problem.kind === "denied") refusal = { at: Date.now(), problem: problem };
          throw problem;
        });
    });
    grantChain = next.catch(function () {});
    return next;
  }

  function hostOf(origin) {
    return origin.replace(/^[a-z]+:\/\//, "");
  }

  // -- one relayed call ----------------------------------------------------------------------------
  // op: {path, scopes, body, answer(data) -> result}
  function relay(op) {
    return signerUnlocked().then(function (unlocked) {
      if (!unlocked) showLocked(); // Sigil asks for its passphrase in its own dialog
      return attempt(op, 2);
    }).then(function (result) {
      hideLocked();
      return result;
    }, function (problem) {
      if (!(problem instanceof Problem && problem.wide)) hideLocked();
      throw problem;
    });
  }

  function attempt(op, retries) {
    return withGrant(op.scopes)
      .then(function (g) { return callSigner(op.path, op.body, g.token); })
      .then(op.answer)
      .catch(function (problem) {
        if (!(problem instanceof Problem) || retries <= 0) throw problem;
        if (problem.kind === "grant") {
          grant = null; // expired or revoked in Sigil: ask again, once
          return attempt(op, 0);
        }
        if (problem.kind === "scope") {
          op.scopes = op.scopes.concat(scopesNamedIn(problem.message));
          return attempt(op, retries - 1);
        }
        if (problem.kind === "locked") {
          showLocked();
          return waitUntilUnlocked().then(function () { return attempt(op, retries - 1); });
        }
        throw problem;
      });
  }

  function scopesNamedIn(message) {
    var list = message.replace(/^[^:]*:/, "");
    return list.split(",").map(function (s) { return s.trim(); }).filter(function (s) { return /^[a-z_]+$/.test(s); });
  }

  function failWide(problem) {
    hideLockedQuietly();
    post({ type: "SIGNER_ERROR", error: problem.message, payload: { error: problem.message } });
    post({ type: "CWI", cwiState: { status: "error", hasPermission: false } });
  }

  function hideLockedQuietly() {
    lockShown = false;
    noticeEl.hidden = true;
    root.classList.remove("showing");
  }

  function answerOf(field, check) {
    return function (data) {
      var value = data[field];
      if (!check(value)) throw new Problem("The signer's answer has no " + field + ".", "refused");
      return value;
    };
  }

  function isText(v) { return typeof v === "string" && v.length > 0; }
  function isTextOrEmpty(v) { return typeof v === "string"; }
  function isTextList(v) { return Array.isArray(v) && v.every(function (x) { return typeof x === "string"; }); }

  // -- bytes -------------------------------------------------------------------------------------------
  function hexToBytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  function bytesToHex(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return s;
  }
  function bytesToBase64(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
  function base64ToBytes(text) {
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function bytesOf(value, what) {
    var list = value instanceof Uint8Array ? Array.prototype.slice.call(value)
      : Array.isArray(value) ? value
      : (value && typeof value === "object") ? Object.keys(value).map(function (k) { return value[k]; }) : null;
    if (!list || !list.every(function (b) { return b === (b & 255); })) throw new Problem(what + " must be bytes.", "input");
    return Uint8Array.from(list);
  }
  var HEX = /^(?:[0-9a-fA-F]{2})+$/;
  // A ciphertext from the frame is base64 (what the plugin documents); the local API's is hex.
  // "BIE1" in base64 starts "QklF", never valid hex, so both are read without ambiguity.
  function ciphertextHex(text) {
    if (HEX.test(text)) return text.toLowerCase();
    try { return bytesToHex(base64ToBytes(text)); } catch (e) { throw new Problem("ciphertext must be base64 or hex.", "input"); }
  }
  var PUBKEY = /^(?:02|03)[0-9a-fA-F]{64}$/;

  function requireText(value, what) {
    if (typeof value !== "string" || !value) throw new Problem(what + " must be a non-empty string.", "input");
    return value;
  }
  function optionalText(value, what) {
    if (value === undefined || value === null || value === "") return undefined;
    return requireText(value, what);
  }

  // -- the operations, in the local API's request shapes ----------------------------------------------
  function signOp(requestPath, body, signatureType) {
    var request = { path: requireText(requestPath, "requestPath") };
    if (body !== undefined && body !== null && body !== "") {
      if (typeof body !== "string") throw new Problem("body must be the exact request body as a string.", "input");
      request.body = body;
    }
    if (signatureType !== undefined) request.signatureType = signatureType;
    return { path: "/api/sign", scopes: ["sign"], body: request, answer: answerOf("token", isText) };
  }
  function signAipOp(hexArray) {
    if (!isTextList(hexArray) || !hexArray.length) throw new Problem("hexArray must be a list of hex strings.", "input");
    return { path: "/api/sign-aip", scopes: ["sign"], body: { data: hexArray }, answer: answerOf("signedOps", isTextList) };
  }
  function counterparty(friendBapId, theirPublicKey, body) {
    var friend = optionalText(friendBapId, "friendBapId");
    var key = optionalText(theirPublicKey, "counterPartyPublicKey");
    if (key !== undefined && !PUBKEY.test(key)) throw new Problem("counterPartyPublicKey must be a compressed public key in hex.", "input");
    if (friend !== undefined) body.friendBapId = friend;
    if (key !== undefined) body.theirPublicKey = key;
    return body;
  }
  function encryptOp(text, friendBapId, theirPublicKey) {
    if (typeof text !== "string") throw new Problem("data must be a string.", "input");
    var body = counterparty(friendBapId, theirPublicKey, { data: text });
    if (!body.friendBapId && !body.theirPublicKey) throw new Problem("encrypt needs friendBapId or a public key.", "input");
    return { path: "/api/encrypt", scopes: ["encrypt"], body: body,
             answer: function (data) { return hexToBytes(answerOf("ciphertext", HEX.test.bind(HEX))(data)); } };
  }
  function decryptOp(ciphertext, friendBapId, theirPublicKey) {
    var body = counterparty(friendBapId, theirPublicKey, { ciphertext: ciphertext });
    if (!body.friendBapId && !body.theirPublicKey) throw new Problem("decrypt needs friendBapId or a public key.", "input");
    return { path: "/api/decrypt", scopes: ["decrypt"], body: body, answer: answerOf("data", isTextOrEmpty) };
  }
  function friendKeyOp(friendBapId) {
    return { path: "/api/friend-pubkey", scopes: [], body: { friendBapId: requireText(friendBapId, "friendBapId") },
             answer: answerOf("publicKey", PUBKEY.test.bind(PUBKEY)) };
  }

  // -- protocol 1: the plugin 0.0.75 messages ------------------------------------------------------------
  var LEGACY = {
    SIGN_REQUEST: function (p) {
      if (p.bodyEncoding !== undefined && p.bodyEncoding !== "utf8") throw new Problem("bodyEncoding must be utf8.", "input");
      return { reply: "SIGN_RESPONSE", field: "authToken", op: signOp(p.requestPath, p.body, p.signatureType) };
    },
    SIGN_AIP_REQUEST: function (p) {
      return { reply: "SIGN_AIP_RESPONSE", field: "signedOps", op: signAipOp(p.hexArray) };
    },
    ENCRYPT_REQUEST: function (p) {
      var op = encryptOp(p.data, p.friendBapId, p.counterPartyPublicKey);
      var bytes = op.answer;
      op.answer = function (data) { return bytesToBase64(bytes(data)); };
      return { reply: "ENCRYPT_RESPONSE", field: "encrypted", op: op };
    },
    DECRYPT_REQUEST: function (p) {
      return { reply: "DECRYPT_RESPONSE", field: "decrypted",
               op: decryptOp(ciphertextHex(requireText(p.ciphertext, "ciphertext")), p.friendBapId, p.counterPartyPublicKey) };
    },
    GET_FRIEND_PUBKEY_REQUEST: function (p) {
      return { reply: "GET_FRIEND_PUBKEY_RESPONSE", field: "publicKey", op: friendKeyOp(p.friendBapId) };
    }
  };

  function onLegacy(type, payload) {
    if (type === "SET_IDENTITY") {
      if (payload && typeof payload.bapId === "string" && payload.bapId.length <= MAX_ID) identity = payload.bapId;
      return;
    }
    var handler = LEGACY[type];
    if (!handler || !payload || typeof payload !== "object") return;
    var requestId = payload.requestId;
    if (typeof requestId !== "string" || !requestId || requestId.length > MAX_ID) return;
    var replyType = type.replace(/_REQUEST$/, "_RESPONSE");
    var planned;
    try {
      planned = handler(payload);
    } catch (problem) {
      return post({ type: replyType, payload: { requestId: requestId, error: messageOf(problem) } });
    }
    relay(planned.op).then(function (result) {
      var answer = { requestId: requestId };
      answer[planned.field] = result;
      post({ type: planned.reply, payload: answer });
    }, function (problem) {
      if (problem instanceof Problem && problem.wide) failWide(problem);
      post({ type: replyType, payload: { requestId: requestId, error: messageOf(problem) } });
    });
  }

  // -- protocol 2: CWI (plugin 0.0.84 and later) -------------------------------------------------------------
  var SIGMA_ENCRYPT = "sigma-encrypt";

  function sigmaKeyId(args) {
    var protocol = args.protocolID;
    if (!Array.isArray(protocol) || protocol[1] !== SIGMA_ENCRYPT) {
      throw new Problem("only protocolID [2, \"sigma-encrypt\"] is supported.", "input");
    }
    return args.keyID;
  }
  function cwiCounterparty(value) {
    return (typeof value === "string" && PUBKEY.test(value)) ? value : undefined; // "self"/"anyone": the friend key
  }

  var CWI = {
    signAuthToken: function (a) { return signOp(a.requestPath, a.body, a.signatureType); },
    signAIP: function (a) { return signAipOp(a.hexArray); },
    encrypt: function (a) {
      var text;
      try { text = new TextDecoder("utf-8", { fatal: true }).decode(bytesOf(a.plaintext, "plaintext")); } catch (e) {
        throw e instanceof Problem ? e : new Problem("plaintext must be UTF-8 text.", "input");
      }
      var op = encryptOp(text, sigmaKeyId(a), cwiCounterparty(a.counterparty));
      var bytes = op.answer;
      op.answer = function (data) { return { ciphertext: bytes(data) }; };
      return op;
    },
    decrypt: function (a) {
      var op = decryptOp(bytesToHex(bytesOf(a.ciphertext, "ciphertext")), sigmaKeyId(a), cwiCounterparty(a.counterparty));
      var text = op.answer;
      op.answer = function (data) { return { plaintext: new TextEncoder().encode(text(data)) }; };
      return op;
    },
    getPublicKey: function (a) {
      var op = friendKeyOp(sigmaKeyId(a));
      var key = op.answer;
      op.answer = function (data) { return { publicKey: key(data) }; };
      return op;
    }
  };

  function onCwi(message) {
    var id = message.id;
    if (message.isInvocation !== true || typeof id !== "string" || !id || id.length > MAX_ID) return;
    var fail = function (problem) {
      post({ type: "CWI", isInvocation: false, id: id, status: "error", description: messageOf(problem),
             code: (problem && problem.kind === "denied") ? 4 : 1 });
    };
    var handler = Object.prototype.hasOwnProperty.call(CWI, message.call) ? CWI[message.call] : null;
    if (!handler) return fail(new Problem("Unsupported call: " + String(message.call).slice(0, 60), "input"));
    var op;
    try {
      op = handler(message.args && typeof message.args === "object" ? message.args : {});
    } catch (problem) {
      return fail(problem);
    }
    relay(op).then(function (result) {
      post({ type: "CWI", isInvocation: false, id: id, result: result });
    }, function (problem) {
      fail(problem);
      if (problem instanceof Problem && problem.wide) failWide(problem);
    });
  }

  function messageOf(problem) {
    return (problem && problem.message) || String(problem);
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) return;
    if (!parentOrigin && isAllowed(event.origin)) parentOrigin = event.origin;
    if (event.origin !== parentOrigin) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    if (data.type === "CWI") onCwi(data);
    else if (typeof data.type === "string") onLegacy(data.type, data.payload);
  });

  // The CWI client waits for a first state message before it sends anything.
  if (parentOrigin) post({ type: "CWI", cwiState: { status: "ready", hasPermission: false } });
})();
