// A line-oriented bridge to the reference `bitcoin-auth` package, for Sigil's interop tests.
// Each stdin line is a JSON request; each stdout line is the JSON answer, in order.
//   {"op":"make", "wif", "requestPath", "body"?, "scheme"?, "timestamp"?, "bodyEncoding"?} -> {"token"}
//   {"op":"verify", "token", "requestPath", "timestamp", "body"?, "timePad"?}               -> {"valid"}
//   {"op":"key"}                                                                            -> {"wif", "pubkey"}
//   {"op":"bench", "tokens":[...], "requestPath", "timestamp", "seconds"}                  -> {"count", "elapsed"}
import readline from "node:readline";
import { getAuthToken, verifyAuthToken } from "bitcoin-auth";
import { PrivateKey } from "@bsv/sdk";

function handle(req) {
  switch (req.op) {
    case "make":
      return { token: getAuthToken({ ...req, privateKeyWif: req.wif }) };
    case "verify":
      return { valid: verifyAuthToken(req.token, { requestPath: req.requestPath, timestamp: req.timestamp, body: req.body }, req.timePad ?? 5) };
    case "key": {
      const key = PrivateKey.fromRandom();
      return { wif: key.toWif(), pubkey: key.toPublicKey().toString() };
    }
    case "bench": {
      const start = process.hrtime.bigint();
      const deadline = start + BigInt(Math.round(req.seconds * 1e9));
      let count = 0;
      while (process.hrtime.bigint() < deadline) {
        const token = req.tokens[count % req.tokens.length];
        if (!verifyAuthToken(token, { requestPath: req.requestPath, timestamp: req.timestamp })) throw new Error("reference rejected a valid token");
        count++;
      }
      return { count, elapsed: Number(process.hrtime.bigint() - start) / 1e9 };
    }
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  let answer;
  try {
    answer = handle(JSON.parse(line));
  } catch (err) {
    answer = { error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
