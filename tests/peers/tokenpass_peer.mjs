// A line-oriented bridge to the npm peers of TokenPass's formats: bitcoin-backup (.bep files),
// bsv-bap (BAP identities and their encrypted lists) and @bsv/sdk (BRC-42, ECIES, BSM).
// Each stdin line is a JSON request; each stdout line is the JSON answer, in order.
// Bytes travel as hex. Ops:
//   {"op":"backup-encrypt", payload, password, iterations?} -> {text}
//   {"op":"backup-decrypt", text, password}                  -> {payload}
//   {"op":"bap-new", rootPk | xprv, mnemonic?, names:[..], label?} -> {backup, ids:[{name, bapId, rootAddress, memberKey}]}
//   {"op":"bap-open", backup}   (a decrypted master backup)   -> {ids:[{name, bapId, rootAddress, memberKey}]}
//   {"op":"master", rootPk}                                   -> {wif}   (HD.fromSeed(rootPk bytes).privKey)
//   {"op":"hd-key", mnemonic, path}                           -> {wif, pub}   (BIP39 seed, BIP32 path)
//   {"op":"child", wif, invoice, pub?}                        -> {wif, pub, address}   (ECDH child when pub is given)
//   {"op":"child-pub", pub, wif, invoice}                     -> {pub}   (what the holder of wif computes for pub)
//   {"op":"encrypt", pub, hex, fromWif?, noKey?}              -> {hex}
//   {"op":"decrypt", wif, hex}                                -> {hex}  (or {error})
//   {"op":"bsm-sign", wif, hex}                               -> {sig}
//   {"op":"bsm-verify", hex, address, sig}                    -> {valid}
//   {"op":"member-backup", wif, name}                         -> {backup}  (MemberID.exportForBackup)
import readline from "node:readline";
import { ECIES, HD, Mnemonic, PrivateKey, PublicKey, BSM, Utils } from "@bsv/sdk";
import { BAP, MemberID } from "bsv-bap";
import { decryptBackup, encryptBackup } from "bitcoin-backup";

const bytes = (hex) => Utils.toArray(hex, "hex");

function describe(bap) {
  return bap.listIds().map((key) => {
    const id = bap.getId(key);
    return { name: id.idName, bapId: id.identityKey, rootAddress: id.rootAddress, memberKey: id.getMemberKey() };
  });
}

async function handle(req) {
  switch (req.op) {
    case "backup-encrypt":
      return { text: await encryptBackup(req.payload, req.password, req.iterations) };
    case "backup-decrypt":
      return { payload: await decryptBackup(req.text, req.password) };
    case "bap-new": {
      const bap = req.rootPk ? new BAP({ rootPk: req.rootPk }) : new BAP(req.xprv);
      for (const name of req.names) bap.newId(name);
      return { backup: bap.exportForBackup(req.label, undefined, req.mnemonic), ids: describe(bap) };
    }
    case "bap-open": {
      const bap = req.backup.rootPk ? new BAP({ rootPk: req.backup.rootPk }) : new BAP(req.backup.xprv);
      bap.importIds(req.backup.ids);
      return { ids: describe(bap) };
    }
    case "master":
      return { wif: HD.fromSeed(PrivateKey.fromWif(req.rootPk).toArray("be", 32)).privKey.toWif() };
    case "hd-key": {
      const key = HD.fromSeed(Mnemonic.fromString(req.mnemonic).toSeed()).derive(req.path).privKey;
      return { wif: key.toWif(), pub: key.toPublicKey().toString() };
    }
    case "child": {
      const key = PrivateKey.fromWif(req.wif);
      const other = req.pub ? PublicKey.fromString(req.pub) : key.toPublicKey();
      const child = key.deriveChild(other, req.invoice);
      return { wif: child.toWif(), pub: child.toPublicKey().toString(), address: child.toPublicKey().toAddress() };
    }
    case "child-pub":
      return { pub: PublicKey.fromString(req.pub).deriveChild(PrivateKey.fromWif(req.wif), req.invoice).toString() };
    case "encrypt":
      return { hex: Utils.toHex(ECIES.electrumEncrypt(bytes(req.hex), PublicKey.fromString(req.pub),
        req.fromWif ? PrivateKey.fromWif(req.fromWif) : undefined, Boolean(req.noKey))) };
    case "decrypt":
      return { hex: Utils.toHex(ECIES.electrumDecrypt(bytes(req.hex), PrivateKey.fromWif(req.wif))) };
    case "bsm-sign":
      return { sig: BSM.sign(bytes(req.hex), PrivateKey.fromWif(req.wif)) };
    case "bsm-verify":
      return { valid: new BAP({ rootPk: PrivateKey.fromRandom().toWif() }).verifySignature(bytes(req.hex), req.address, req.sig) };
    case "member-backup": {
      const member = new MemberID(PrivateKey.fromWif(req.wif));
      member.idName = req.name;
      return { backup: member.exportForBackup() };
    }
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
let queue = Promise.resolve();
rl.on("line", (line) => {
  queue = queue.then(async () => {
    let answer;
    try {
      answer = await handle(JSON.parse(line));
    } catch (err) {
      answer = { error: String(err && err.message ? err.message : err) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
});
