% rebase('layout', title='Your account', static=static, wide=signed_in)
% if not signed_in:
<h1>Sign in to {{server_name}}</h1>
<p class="lead">This server signs you in with your Bitcoin key. Your Sigil signer on this computer asks you, once, to approve.</p>
% if notice:
<p class="notice">{{notice}}</p>
% end
<div id="signin" data-start="button" data-signer-url="{{signer_url}}" data-sign-in-path="{{sign_in_path}}" data-continue-url="{{continue_url}}" data-client-name="" data-bap-id="">
  <p class="status" id="status" role="status" aria-live="polite" hidden></p>
  <p class="problem" id="problem" hidden></p>
  <div class="actions">
    <button type="button" id="start" class="primary">Sign in with Sigil</button>
    <button type="button" id="retry" class="primary" hidden>Retry</button>
  </div>
</div>
<noscript><p class="problem">This page needs JavaScript to reach your signer at {{signer_url}}.</p></noscript>
<script src="{{static}}/signin.js" defer></script>
% else:
<h1>Your account on {{server_name}}</h1>
% if notice:
<p class="notice">{{notice}}</p>
% end
<div class="label">You</div>
<section class="identity" id="you">
  % if get('picture'):
  <img class="avatar" id="picture" src="{{picture}}" alt="" width="64" height="64" referrerpolicy="no-referrer">
  % end
  <div class="value" id="user-name">{{user_name}}</div>
  <dl class="facts">
    <dt>Username</dt><dd><code id="username">{{get('username') or '—'}}</code></dd>
    <dt>BAP ID</dt><dd><code id="bap-id">{{bap_id or '—'}}</code></dd>
    <dt>Public key</dt><dd><code id="pubkey">{{pubkey}}</code></dd>
  </dl>
</section>
%# groups: the user's group names, when the page is given them; absent, nothing is shown
% groups = get('groups') or []
% if groups:
<div class="label">Groups</div>
<section class="identity" id="groups">
  <ul class="tags">
  % for group in groups:
    <li>{{group}}</li>
  % end
  </ul>
</section>
% end
<div class="label">Your sessions</div>
<section class="list" id="sessions">
% for row in sessions:
  <div class="row{{' current' if row.current else ''}}" data-session-id="{{row.id}}">
    <div class="what">
      <div class="value">{{row.device or 'Unknown device'}}
        % if row.current:
        <span class="tag">this session</span>
        % end
      </div>
      <div class="muted ua">{{row.user_agent or 'no user agent'}}</div>
      <div class="muted">{{row.session.ip_address or 'address unknown'}} · signed in {{when(row.session.created_at)}}</div>
    </div>
    % if not row.current:
    <form method="post" action="{{end_action}}">
      <input type="hidden" name="session_id" value="{{row.id}}">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <button type="submit" class="danger">End</button>
    </form>
    % end
  </div>
% end
</section>
<div class="label">Apps that have access</div>
<section class="list" id="apps">
% if not consents:
  <p class="muted">You have not allowed any app yet.</p>
% end
% for consent in consents:
  <div class="row" data-client-id="{{consent.client_id}}">
    <div class="what">
      <div class="value">{{consent.client_name}}</div>
      <div class="muted">{{', '.join(consent.scopes)}} · since {{day(consent.granted_at)}}</div>
    </div>
    <form method="post" action="{{withdraw_action}}">
      <input type="hidden" name="client_id" value="{{consent.client_id}}">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <button type="submit" class="danger">Withdraw</button>
    </form>
  </div>
% end
</section>
<p class="muted">Ending a session signs that device out at once. Withdrawing ends that app's access at once (its tokens stop working); it asks again next time. The e-mail apps may see is set on <a href="{{email_page}}">this page</a>.</p>
<form method="post" action="{{sign_out_action}}" id="sign-out">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <div class="actions"><button type="submit">Sign out</button></div>
</form>
% end
