% rebase('layout', title='Sign out', static=static)
% if stage == 'confirm':
<h1>Sign out of Sigil?</h1>
<p class="lead">{{client_name or 'An app'}} asks to end your Sigil session{{' as ' + user_name if user_name else ''}}.</p>
<p class="muted">Apps you are signed in to keep their own sessions; sign out there too.</p>
<form method="post" action="{{action}}">
  % for name, value in params:
  <input type="hidden" name="{{name}}" value="{{value}}">
  % end
  <input type="hidden" name="csrf" value="{{csrf}}">
  <div class="actions">
    <button type="submit" name="decision" value="stay">Stay signed in</button>
    <button type="submit" name="decision" value="logout" class="primary" autofocus>Sign out</button>
  </div>
</form>
% else:
<h1>{{'You are signed out' if stage == 'signed_out' else 'You are still signed in'}}</h1>
<p class="lead">{{'Your Sigil session has ended.' if stage == 'signed_out' else 'Your Sigil session goes on.'}}</p>
% if client_name:
<p class="muted">You can close this page and go back to {{client_name}}.</p>
% end
% end
