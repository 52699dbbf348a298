// Drives Sigil's local signer API with the published plugin's own client, LocalServerSigner of
// @sigma-auth/better-auth-plugin (what sigmaClient({ preferLocal: true }) uses), and prints what
// each call returned as one JSON line. Usage: node local_signer_client.mjs '<json request>'
//   request: {baseUrl, host, path, body, hexArray, data, friendBapId, theirPublicKey}
import { LocalServerSigner } from "@sigma-auth/better-auth-plugin/client/local";

const req = JSON.parse(process.argv[2]);
const signer = new LocalServerSigner({ baseUrl: req.baseUrl, timeout: 20000 });
const out = { probe: await signer.probe() };
out.status = await signer.getStatus();
out.authenticated = await signer.authenticate(req.host);
out.token = await signer.sign(req.path, req.body);
out.signedOps = await signer.signAIP(req.hexArray);
out.ciphertext = await signer.encrypt(req.data, req.friendBapId);
out.decrypted = await signer.decrypt(out.ciphertext, req.friendBapId);
out.toTheirKey = await signer.encrypt(req.data, undefined, req.theirPublicKey);
out.friendPublicKey = await signer.getFriendPublicKey(req.friendBapId);
process.stdout.write(JSON.stringify(out) + "\n");
