% rebase('layout', title='Sign in', static=static)
<h1>Sign in{{' to ' + client_name if client_name else ''}}</h1>
<p class="lead">Your Sigil signer on this computer will ask you, once, to approve the sign-in.</p>
% if bap_id:
<p class="muted">Requested identity: <code>{{bap_id}}</code></p>
% end
<div id="signin" data-signer-url="{{signer_url}}" data-sign-in-path="{{sign_in_path}}" data-continue-url="{{continue_url}}" data-client-name="{{client_name}}" data-bap-id="{{bap_id}}">
  <p class="status" id="status" role="status" aria-live="polite">Asking your signer…</p>
  <p class="problem" id="problem" hidden></p>
  <div class="actions">
    <button type="button" id="retry" class="primary" hidden>Retry</button>
  </div>
</div>
<noscript><p class="problem">This page needs JavaScript to reach your signer at {{signer_url}}.</p></noscript>
<script src="{{static}}/signin.js" defer></script>
