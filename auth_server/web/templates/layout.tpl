<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="same-origin">
  <title>{{title}} · Sigil</title>
  <link rel="stylesheet" href="{{static}}/sigil.css">
</head>
<body>
  <main class="card{{' wide' if get('wide') else ''}}{{' console' if get('console') else ''}}">
    <header class="brand"><span class="mark" aria-hidden="true">⟠</span> Sigil</header>
    {{!base}}
  </main>
</body>
</html>
