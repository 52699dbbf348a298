// Sign-in page (also the invite page and the account page): ask the local Sigil signer for a
// sign-in token (one approval in the signer: POST /api/sign-in, with the invitation code when
// there is one, and the app's client id on the authorize page: data-client-id), post it with
// the signer's body to this server unchanged, then continue to where the user was going (at
// once, or on the "Sign in with Sigil" button when the box says data-start="button"). A
// notice in the server's answer (a username that was taken) is shown first, for a moment.
// No framework; see docs/PROTOCOL.md section 7.
(function () {
  "use strict";
  var box = document.getElementById("signin");
  var statusEl = document.getElementById("status");
  var problemEl = document.getElementById("problem");
  var retryEl = document.getElementById("retry");
  var signer = box.dataset.signerUrl.replace(/\/$/, "");
  var signInPath = box.dataset.signInPath;
  var continueUrl = box.dataset.continueUrl;
  var appName = box.dataset.clientName || "";
  var bapId = box.dataset.bapId || "";
  var invite = box.dataset.invite || "";
  var clientId = box.dataset.clientId || "";
  var NOTICE_MS = 2500;

  var SIGNER_ERRORS = {
    1: "Your Sigil signer is locked. Unlock it, then press Retry.",
    2: "The signer did not authorize this page. Press Retry to ask again.",
    3: "The signer did not accept this page's access. Press Retry to ask again.",
    5: "The signer's approval expired. Press Retry to ask again."
  };

  function show(status, problem) {
    statusEl.textContent = status || "";
    statusEl.hidden = !status;
    problemEl.textContent = problem || "";
    problemEl.hidden = !problem;
    retryEl.hidden = !problem;
  }

  function NoSigner() {}

  function signerCall(path, body) {
    var headers = { "Content-Type": "application/json" };
    return fetch(signer + path, { method: "POST", headers: headers, body: JSON.stringify(body) })
      .catch(function () { throw new NoSigner(); })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (!res.ok || data.success === false) {
            var message = SIGNER_ERRORS[data.code] || data.error || ("The signer refused (HTTP " + res.status + ").");
            throw new Error(message);
          }
          return data;
        });
      });
  }

  function run() {
    show("Waiting for you to approve in your Sigil signer…", "");
    var request = { path: signInPath, signatureType: "brc77", app: appName };
    if (bapId) request.bapId = bapId;
    if (invite) request.invite = invite;
    if (clientId) request.clientId = clientId;
    signerCall("/api/sign-in", request)
      .then(function (signed) {
        show("Signing in…", "");
        return fetch(signInPath, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-Auth-Token": signed.token },
          // the signer's exact body: with an invitation, the token covers it
          body: signed.body || "{}"
        }).then(function (res) {
          if (!res.ok) {
            return res.json().catch(function () { return {}; }).then(function (data) {
              throw new Error("This server refused the sign-in: " + (data.message || ("HTTP " + res.status)));
            });
          }
          return res.json().catch(function () { return {}; }).then(function (data) {
            if (data.notice) {
              // textContent: the notice names a username, text from outside
              show("Signed in. " + data.notice + ". Continuing…", "");
              var go = function () { window.location.replace(continueUrl); };
              var timer = setTimeout(go, NOTICE_MS);
              statusEl.addEventListener("click", function () { clearTimeout(timer); go(); });
              return;
            }
            show("Signed in. Continuing…", "");
            window.location.replace(continueUrl);
          });
        });
      })
      .catch(function (err) {
        if (err instanceof NoSigner) {
          show("", "No Sigil signer is answering on this computer (" + signer + "). Start the Sigil app, unlock it, then press Retry.");
        } else {
          show("", err.message || String(err));
        }
      });
  }

  retryEl.addEventListener("click", run);
  // data-start="button" (the account page): wait for the user's click; otherwise ask at once
  var startEl = document.getElementById("start");
  if (box.dataset.start === "button" && startEl) {
    startEl.addEventListener("click", function () { startEl.hidden = true; run(); });
  } else {
    run();
  }
})();
