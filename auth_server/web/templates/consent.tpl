% rebase('layout', title='Allow access', static=static)
<h1>{{client_name}} wants to sign you in</h1>
% if self_registered:
<p class="notice unverified"><strong>Not verified by this server.</strong> This app registered itself; its name is what it says it is.</p>
% end
<p class="lead">It will receive the answer at <strong>{{redirect_host}}</strong>.</p>
<section class="identity">
  <div class="label">Signing in as</div>
  <div class="value">{{user_name}}</div>
  <div class="muted">BAP ID <code>{{bap_id or 'unknown'}}</code></div>
</section>
<section>
  <div class="label">It asks for</div>
  <ul class="scopes">
  % for scope, text in scopes:
    <li><strong>{{scope}}</strong> — {{text}}</li>
  % end
  </ul>
</section>
<form method="post" action="{{action}}">
  % for name, value in params:
  <input type="hidden" name="{{name}}" value="{{value}}">
  % end
  <input type="hidden" name="csrf" value="{{csrf}}">
  <div class="actions">
    <button type="submit" name="decision" value="deny">Deny</button>
    <button type="submit" name="decision" value="approve" class="primary" autofocus>Allow</button>
  </div>
</form>
