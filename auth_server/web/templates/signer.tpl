<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="same-origin">
  <title>Sigil signer</title>
  <link rel="stylesheet" href="{{static}}/signer-frame.css">
</head>
<body>
  <div id="signer-frame" data-signer-url="{{signer_url}}" data-parents="{{parents}}">
    <div class="notice card" id="notice" hidden>
      <p class="brand"><span class="mark" aria-hidden="true">⟠</span> Sigil</p>
      <p class="lead" id="notice-text" role="status" aria-live="polite"></p>
      <div class="actions"><button type="button" id="cancel">Cancel</button></div>
    </div>
  </div>
  <script src="{{static}}/signer-frame.js" defer></script>
</body>
</html>
