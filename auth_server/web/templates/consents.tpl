% rebase('layout', title='Apps you allowed', static=static)
<h1>Apps you allowed</h1>
<p class="lead">Signed in as <strong>{{user_name}}</strong>. These apps may sign you in without asking again.</p>
% if notice:
<p class="notice">{{notice}}</p>
% end
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
