% rebase('layout', title='Sign in', static=static)
% invite = get('invite', '')
% if invite:
<h1>{{inviter}} invites you</h1>
<p class="lead">Accept with your Sigil signer: it will ask you, once, to approve signing in to {{inviter}}.</p>
% if groups:
<p class="muted">You will join: {{', '.join(groups)}}</p>
% end
% else:
<h1>Sign in{{' to ' + client_name if client_name else ''}}</h1>
<p class="lead">Your Sigil signer on this computer will ask you, once, to approve the sign-in.</p>
% end
% if bap_id:
<p class="muted">Requested identity: <code>{{bap_id}}</code></p>
% end
<div id="signin" data-signer-url="{{signer_url}}" data-sign-in-path="{{sign_in_path}}" data-continue-url="{{continue_url}}" data-client-name="{{client_name}}" data-client-id="{{get('client_id', '')}}" data-bap-id="{{bap_id}}" data-invite="{{invite}}">
  <p class="status" id="status" role="status" aria-live="polite">Asking your signer…</p>
  <p class="problem" id="problem" hidden></p>
  <div class="actions">
    <button type="button" id="retry" class="primary" hidden>Retry</button>
  </div>
</div>
<noscript><p class="problem">This page needs JavaScript to reach your signer at {{signer_url}}.</p></noscript>
<script src="{{static}}/signin.js" defer></script>
