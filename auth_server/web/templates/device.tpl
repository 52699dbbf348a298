% rebase('layout', title='Connect a device', static=static)
% if stage == 'enter':
<h1>Connect a device</h1>
<p class="lead">Enter the code shown on your device or in your terminal.</p>
% if problem:
<p class="problem">{{problem}}</p>
% end
<form method="get" action="{{action}}">
  <label for="user_code" class="label">Code</label>
  <input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false"
         placeholder="ABCD-EFGH" value="{{user_code}}" required autofocus>
  <div class="actions"><button type="submit" class="primary">Continue</button></div>
</form>
% elif stage == 'confirm':
<h1>{{client_name}} wants access</h1>
% if self_registered:
<p class="notice unverified"><strong>Not verified by this server.</strong> This app registered itself; its name is what it says it is.</p>
% end
<p class="lead">Only continue if this code is on the device you are setting up: <strong class="code">{{user_code}}</strong></p>
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
  <input type="hidden" name="user_code" value="{{user_code}}">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <div class="actions">
    <button type="submit" name="decision" value="deny">Deny</button>
    <button type="submit" name="decision" value="approve" class="primary">Approve</button>
  </div>
</form>
% else:
<h1>{{'Device connected' if stage == 'approved' else 'Request denied'}}</h1>
<p class="lead">{{'You can return to your device; it will finish signing in by itself.' if stage == 'approved' else 'The device did not get access. You can close this page.'}}</p>
% end
