% rebase('layout', title='Admin console', static=static, console=True)
<nav class="tabs" aria-label="Admin console">
% for key, label in sections:
  <a href="{{root}}/{{key}}"{{!' aria-current="page"' if key == section or (section == 'user' and key == 'users') else ''}}>{{label}}</a>
% end
  <span class="muted who">{{me.name}}</span>
</nav>
% if notice:
<p class="notice" role="status">{{notice}}</p>
% end
% if problem:
<p class="problem" role="alert">{{problem}}</p>
% end
% if section == 'users':
<h1>Users</h1>
<form method="get" action="{{root}}/users" class="bar">
  <input class="text" type="search" name="q" value="{{search}}" placeholder="Name, BAP ID, public key or id">
  <select name="group"><option value="">Every group</option>
% for g in groups:
    <option value="{{g.name}}"{{!' selected' if g.name == group else ''}}>{{g.name}}</option>
% end
  </select>
  <button type="submit">Search</button>
</form>
<table>
  <thead><tr><th>Name</th><th>Username</th><th>BAP ID</th><th>Groups</th><th>Status</th><th>Last sign-in</th></tr></thead>
  <tbody>
% for d in users:
  <tr>
    <td>
    % if avatar(d.user):
      <img class="avatar small" src="{{avatar(d.user)}}" alt="" width="24" height="24">
    % end
      <a href="{{root}}/users/{{d.user.id}}">{{d.user.profile_name or d.user.name}}</a></td>
    <td><code>{{d.user.username or '-'}}</code></td>
    <td><code>{{d.user.bap_id or '-'}}</code></td>
    <td>{{', '.join(d.groups) or '-'}}</td>
    <td>{{'disabled' if d.user.disabled else 'active'}}</td>
    <td>{{when(d.last_sign_in)}}</td>
  </tr>
% end
% if not users:
  <tr><td colspan="6" class="muted">No users match.</td></tr>
% end
  </tbody>
</table>
<p class="muted">Let someone in ahead of time from the server: <code>sigil-server users add --pubkey HEX</code>, or send an <a href="{{root}}/invitations">invitation</a>.</p>
% elif section == 'user':
% u = details.user
% if avatar(u):
<img class="avatar" id="picture" src="{{avatar(u)}}" alt="" width="64" height="64">
% end
<h1>{{u.profile_name or u.name}}</h1>
<dl class="facts">
  <dt>Profile name</dt><dd>{{u.profile_name or '-'}}</dd>
  <dt>Username</dt><dd><code>{{u.username or '-'}}</code></dd>
  <dt>Label</dt><dd>{{u.name}}</dd>
  <dt>Status</dt><dd>{{'Disabled' if u.disabled else 'Active'}}</dd>
  <dt>BAP ID</dt><dd><code>{{u.bap_id or '-'}}</code></dd>
  <dt>Public key</dt><dd><code>{{u.pubkey}}</code></dd>
  <dt>User id</dt><dd><code>{{u.id}}</code></dd>
  <dt>Created</dt><dd>{{when(u.created_at)}}</dd>
  <dt>Last sign-in</dt><dd>{{when(details.last_sign_in)}}</dd>
</dl>
<h2>Groups</h2>
<ul class="plain">
% for name in details.groups:
  <li>{{name}}
    <form method="post" action="{{root}}/users" class="inline">
      <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="user_id" value="{{u.id}}">
      <input type="hidden" name="action" value="leave"><input type="hidden" name="group" value="{{name}}">
      <button type="submit" class="small">Take out</button>
    </form></li>
% end
% if not details.groups:
  <li class="muted">In no group.</li>
% end
</ul>
<form method="post" action="{{root}}/users" class="bar">
  <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="user_id" value="{{u.id}}">
  <input type="hidden" name="action" value="join">
  <select name="group">
% for g in groups:
% if g.name not in details.groups:
    <option value="{{g.name}}">{{g.name}}</option>
% end
% end
  </select>
  <button type="submit">Add to group</button>
</form>
<h2>Sessions</h2>
<table>
  <thead><tr><th>Started</th><th>Address</th><th>Browser</th><th></th></tr></thead>
  <tbody>
% for s in sessions:
  <tr><td>{{when(s.created_at)}}</td><td>{{s.ip_address or '-'}}</td><td class="clip">{{s.user_agent or '-'}}</td>
    <td><form method="post" action="{{root}}/users" class="inline">
      <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="user_id" value="{{u.id}}">
      <input type="hidden" name="action" value="end-session"><input type="hidden" name="session_id" value="{{s.id}}">
      <button type="submit" class="small">End</button></form></td></tr>
% end
% if not sessions:
  <tr><td colspan="4" class="muted">No live session.</td></tr>
% end
  </tbody>
</table>
<div class="actions">
  <form method="post" action="{{root}}/users">
    <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="user_id" value="{{u.id}}">
% if u.disabled:
    <input type="hidden" name="action" value="enable"><button type="submit" class="primary">Enable</button>
% else:
    <input type="hidden" name="action" value="disable"><button type="submit" class="danger">Disable now</button>
% end
  </form>
  <form method="post" action="{{root}}/users">
    <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="user_id" value="{{u.id}}">
    <input type="hidden" name="action" value="remove"><button type="submit" class="danger">Remove</button>
  </form>
</div>
<p class="muted">Disabling ends every session and token of this user at once, on every instance; removing deletes the account (the key may sign up again where sign-up allows it).</p>
% elif section == 'invitations':
<h1>Invitations</h1>
% if get('created'):
<section class="identity created">
  <div class="label">New invitation link (shown this once)</div>
  <p><code id="invite-url">{{created.url}}</code></p>
  <img class="qr" src="{{qr}}" alt="QR code of the invitation link" width="220" height="220">
  <p class="muted">{{created.invitation.uses_left}} use(s) · expires {{when(created.invitation.expires_at)}} · groups: {{', '.join(created.invitation.groups) or '-'}}</p>
</section>
% end
<form method="post" action="{{root}}/invitations" class="grid">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <div class="field"><span>Groups</span> <span class="checks">
% for g in groups:
    <label class="check"><input type="checkbox" name="group" value="{{g.name}}"> {{g.name}}</label>
% end
  </span></div>
  <label>Uses <input class="text" type="number" name="uses" value="1" min="1" max="10000"></label>
  <label>Expires in <input class="text" type="text" name="expires" value="7d"></label>
  <label>Note <input class="text" type="text" name="note" maxlength="200" placeholder="Who it is for"></label>
  <div class="actions"><button type="submit" class="primary">Make invitation</button></div>
</form>
<table>
  <thead><tr><th>Id</th><th>State</th><th>Uses</th><th>Groups</th><th>Expires</th><th>Note</th><th></th></tr></thead>
  <tbody>
% for i in invitations:
  <tr><td><code>{{i.id}}</code></td><td>{{i.state(now)}}</td><td>{{i.uses}}/{{i.uses + i.uses_left}}</td>
    <td>{{', '.join(i.groups) or '-'}}</td><td>{{when(i.expires_at)}}</td><td>{{i.note}}</td>
    <td>
% if i.state(now) == 'usable':
      <form method="post" action="{{root}}/invitations" class="inline">
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="revoke">
        <input type="hidden" name="invitation_id" value="{{i.id}}"><button type="submit" class="small">Revoke</button>
      </form>
% end
    </td></tr>
% end
% if not invitations:
  <tr><td colspan="7" class="muted">No invitations yet.</td></tr>
% end
  </tbody>
</table>
% elif section == 'groups':
<h1>Groups</h1>
<p class="muted">Apps that ask for the <code>groups</code> scope get a user's groups in the <code>groups</code> claim. Members of <code>admin</code> may use this console.</p>
<table>
  <thead><tr><th>Name</th><th>Members</th><th>Description</th><th></th></tr></thead>
  <tbody>
% for g in groups:
  <tr><td><a href="{{root}}/users?group={{g.name}}">{{g.name}}</a></td><td>{{g.members}}</td><td>{{g.description}}</td>
    <td>
% if g.name != 'admin':
      <form method="post" action="{{root}}/groups" class="inline">
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="remove">
        <input type="hidden" name="name" value="{{g.name}}"><button type="submit" class="small">Remove</button>
      </form>
% end
    </td></tr>
% end
  </tbody>
</table>
<form method="post" action="{{root}}/groups" class="bar">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input class="text" type="text" name="name" placeholder="staff" pattern="[a-z0-9][a-z0-9._\-]{0,63}" required>
  <input class="text" type="text" name="description" placeholder="What the group is for">
  <button type="submit" class="primary">Add group</button>
</form>
% elif section == 'clients':
<h1>Apps</h1>
% if get('secret'):
<section class="identity created">
  <div class="label">Client secret of {{secret[0]}} (shown this once)</div>
  <p><code id="client-secret">{{secret[1]}}</code></p>
</section>
% end
<table>
  <thead><tr><th>Name</th><th>client_id</th><th>Method</th><th>Allowed groups</th><th></th></tr></thead>
  <tbody>
% for c in clients:
  <tr><td>{{c.name}}{{' (disabled)' if c.disabled else ''}}</td><td><code>{{c.client_id}}</code></td>
    <td>{{c.token_endpoint_auth_method}}</td>
    <td><form method="post" action="{{root}}/clients" class="inline">
      <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="groups">
      <input type="hidden" name="client_id" value="{{c.client_id}}">
% for g in groups:
      <label class="check"><input type="checkbox" name="group" value="{{g.name}}"{{!' checked' if g.name in c.allowed_groups else ''}}> {{g.name}}</label>
% end
      <button type="submit" class="small">Save</button></form>
      <div class="muted">{{'everyone' if not c.allowed_groups else ''}}</div></td>
    <td class="buttons">
% if c.secret_hash:
      <form method="post" action="{{root}}/clients" class="inline">
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="rotate">
        <input type="hidden" name="client_id" value="{{c.client_id}}"><button type="submit" class="small">New secret</button>
      </form>
% end
      <form method="post" action="{{root}}/clients" class="inline">
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="{{'enable' if c.disabled else 'disable'}}">
        <input type="hidden" name="client_id" value="{{c.client_id}}"><button type="submit" class="small">{{'Enable' if c.disabled else 'Disable'}}</button>
      </form>
    </td></tr>
% end
% if not clients:
  <tr><td colspan="5" class="muted">No app registered yet.</td></tr>
% end
  </tbody>
</table>
<h2>Register an app</h2>
<form method="post" action="{{root}}/clients" class="grid">
  <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="add">
  <label>Name <input class="text" type="text" name="name" required maxlength="100"></label>
  <label>Redirect URIs (one per line) <textarea name="redirect_uris" rows="2" required></textarea></label>
  <label>Sign-out return URIs (optional) <textarea name="post_logout_redirect_uris" rows="1"></textarea></label>
  <label>Authentication <select name="auth_method">
% for m in auth_methods:
    <option value="{{m}}">{{m}}</option>
% end
  </select></label>
  <div class="field"><span>Only these groups</span> <span class="checks">
% for g in groups:
    <label class="check"><input type="checkbox" name="group" value="{{g.name}}"> {{g.name}}</label>
% end
  </span></div>
  <div class="actions"><button type="submit" class="primary">Register</button></div>
</form>
<p class="muted">Apps that sign with a member key or private_key_jwt are registered with <code>sigil-server clients add</code>.</p>
% elif section == 'sessions':
<h1>Live sessions</h1>
<table>
  <thead><tr><th>User</th><th>Started</th><th>Address</th><th>Browser</th><th></th></tr></thead>
  <tbody>
% for s, u in live:
  <tr><td>{{u.name if u else '-'}}{{' (you, here)' if s.id == this_session else ''}}</td><td>{{when(s.created_at)}}</td>
    <td>{{s.ip_address or '-'}}</td><td class="clip">{{s.user_agent or '-'}}</td>
    <td><form method="post" action="{{root}}/sessions" class="inline">
      <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="session_id" value="{{s.id}}">
      <button type="submit" class="small">End</button></form></td></tr>
% end
% if not live:
  <tr><td colspan="5" class="muted">No live session.</td></tr>
% end
  </tbody>
</table>
% elif section == 'audit':
<h1>Audit log</h1>
<form method="get" action="{{root}}/audit" class="bar">
  <label>Since <input class="text" type="text" name="since" value="{{since}}"></label>
  <button type="submit">Show</button>
</form>
<table>
  <thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th><th>Details</th></tr></thead>
  <tbody>
% for e in entries:
  <tr><td>{{when(e.at)}}</td><td class="clip">{{e.actor}}</td><td>{{e.action}}</td><td class="clip"><code>{{e.target}}</code></td>
    <td class="clip">{{', '.join('%s: %s' % (k, v) for k, v in sorted(e.detail.items()))}}</td></tr>
% end
% if not entries:
  <tr><td colspan="5" class="muted">Nothing in this period.</td></tr>
% end
  </tbody>
</table>
% end
