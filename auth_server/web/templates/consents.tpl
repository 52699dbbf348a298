% rebase('layout', title='Your account', static=static)
<h1>Your account on Sigil</h1>
<p class="lead">Signed in as <strong>{{user_name}}</strong>.</p>
% if notice:
<p class="notice">{{notice}}</p>
% end
% if problem:
<p class="problem">{{problem}}</p>
% end
<section>
  <div class="label">E-mail apps may see (optional, never verified)</div>
  <form method="post" action="{{action}}">
    <input class="text" type="email" name="email" value="{{email}}" placeholder="you@example.org" autocomplete="email">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <div class="actions"><button type="submit">Save e-mail</button></div>
  </form>
</section>
<div class="label">Apps you allowed (they sign you in without asking again)</div>
% if not consents:
<p class="muted">You have not allowed any app yet.</p>
% end
% for consent in consents:
<section class="identity">
  <div class="value">{{consent.client_name}}</div>
  <div class="muted">{{', '.join(consent.scopes)}} · since {{when(consent.granted_at)}}</div>
  <form method="post" action="{{action}}">
    <input type="hidden" name="client_id" value="{{consent.client_id}}">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <div class="actions">
      <button type="submit" class="danger">Withdraw</button>
    </div>
  </form>
</section>
% end
<p class="muted">Withdrawing ends that app's access at once (its tokens stop working); it asks again next time.</p>
