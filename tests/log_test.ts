import assert from "node:assert/strict";
import { type LogRecord, resetSync } from "@logtape/logtape";
import { configureLogging, formatRecord, gatewayLog, storeLog, xmppLog } from "../src/log.ts";
import { Secret } from "../src/secret.ts";

const SECRET = "component-s3cret-XYZ";
const PASSWORD = 'pa"ss\\word-42';

/** Configures logging at `level` into a list, runs `fn`, then resets logging. */
function capturing(level: "debug" | "info", fn: (records: LogRecord[]) => void): void {
  const records: LogRecord[] = [];
  configureLogging(level, { sink: (record) => records.push(record) });
  try {
    fn(records);
  } finally {
    resetSync();
  }
}

/** Both renderings of every record. */
function formatAll(records: LogRecord[]): string[] {
  return records.flatMap((record) => [formatRecord(record, false), formatRecord(record, true)]);
}

Deno.test("a Secret never appears in a formatted line however it is logged", () => {
  const secret = new Secret(SECRET);
  capturing("debug", (records) => {
    gatewayLog.info(`Connecting with ${secret} now`);
    gatewayLog.info("Connecting with {secret}", { secret });
    gatewayLog.warn("Extra properties are shown too", { password: secret });
    gatewayLog.error("Login failed: {error}", { error: new Error(`bad secret ${secret}`) });
    gatewayLog.info("Nested {config}", { config: { component: { secret } } });
    gatewayLog.info`Template ${secret} literal`;
    xmppLog.debug("Handshake {digest} for {secret}", { digest: "abc", secret: [secret] });
    gatewayLog.info("Structured {account}", { account: { password: new Secret(PASSWORD) } });
    assert.equal(records.length, 8);
    for (const line of formatAll(records)) {
      assert.ok(!line.includes(SECRET), `leaks the secret: ${line}`);
      assert.ok(!line.includes("word-42"), `leaks the password: ${line}`);
      assert.ok(line.includes("***"), `not visibly hidden: ${line}`);
    }
  });
});

Deno.test("what users type is never censored: the same text outside a Secret is shown", () => {
  // A password chosen to hide a JID from the admin's log (a registration that then failed).
  const chosen = new Secret("mallory@localhost");
  capturing("debug", (records) => {
    gatewayLog.info("Registration of {jid} failed: {password}", {
      jid: "mallory@localhost",
      password: chosen,
    });
    gatewayLog.info("mallory@localhost is online");
    const lines = formatAll(records);
    assert.match(lines[0], /Registration of mallory@localhost failed: \*\*\*/);
    assert.match(lines[2], /mallory@localhost is online/);
  });
});

Deno.test("records below the configured level are not delivered", () => {
  capturing("info", (records) => {
    storeLog.debug("Hidden detail");
    storeLog.info("Visible info");
    storeLog.error("Visible error");
    assert.deepEqual(records.map((r) => r.level), ["info", "error"]);
  });
  capturing("debug", (records) => {
    storeLog.debug("Now visible");
    assert.deepEqual(records.map((r) => r.level), ["debug"]);
  });
});

Deno.test("journald lines carry the syslog priority and no timestamp", () => {
  capturing("debug", (records) => {
    storeLog.info("Opened store {path}", { path: "/var/lib/gw.db" });
    storeLog.error("Something broke");
    storeLog.warn("Careful");
    storeLog.debug("Details");
    const [info, error, warn, debug] = records.map((r) => formatRecord(r, true));
    assert.equal(info, "<6>store: Opened store /var/lib/gw.db\n");
    assert.equal(error, "<3>store: Something broke\n");
    assert.match(warn, /^<4>/);
    assert.match(debug, /^<7>/);
    for (const line of [info, error, warn, debug]) {
      assert.doesNotMatch(line, /\d{4}-\d{2}-\d{2}T/);
    }
  });
});

Deno.test("plain lines start with an ISO timestamp and the level", () => {
  capturing("debug", (records) => {
    storeLog.info("Opened store");
    gatewayLog.error("Failed");
    const [info, error] = records.map((r) => formatRecord(r, false));
    const time = new Date(records[0].timestamp).toISOString();
    assert.equal(info, `${time} INFO    store: Opened store\n`);
    assert.match(error, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z ERROR {3}gateway: Failed\n$/);
    assert.doesNotMatch(info, /^</);
  });
});

Deno.test("a multi-line message or value stays on one line", () => {
  capturing("debug", (records) => {
    xmppLog.info("First line\nsecond line\r\nthird line\rfourth");
    xmppLog.info("Stanza {xml}", { xml: "<message>\n  <body>hi</body>\n</message>" });
    xmppLog.info("Extra property", { stack: "at a\nat b" });
    xmppLog.error("Failed: {error}", { error: new Error("one\ntwo") });
    assert.equal(records.length, 4);
    for (const line of formatAll(records)) {
      assert.equal(line.indexOf("\n"), line.length - 1, `not one line: ${JSON.stringify(line)}`);
      assert.ok(!line.includes("\r"), `carriage return kept: ${JSON.stringify(line)}`);
    }
    assert.equal(
      formatRecord(records[0], true),
      "<6>xmpp: First line\\nsecond line\\nthird line\\nfourth\n",
    );
  });
});

Deno.test("reconfiguring logging replaces the previous sink", () => {
  const first: LogRecord[] = [];
  const second: LogRecord[] = [];
  try {
    configureLogging("info", { sink: (r) => first.push(r) });
    configureLogging("info", { sink: (r) => second.push(r) });
    gatewayLog.info("Once");
    assert.equal(first.length, 0);
    assert.equal(second.length, 1);
  } finally {
    resetSync();
  }
});
