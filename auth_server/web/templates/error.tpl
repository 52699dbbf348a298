% rebase('layout', title=title, static=static)
<h1>{{title}}</h1>
<p class="lead">{{message}}</p>
% if detail:
<p class="muted"><code>{{detail}}</code></p>
% end
<p class="muted">If you came here from an app, go back to it and try signing in again. If it keeps happening, tell the app's developer.</p>
