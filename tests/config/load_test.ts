import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { ConfigError } from "../../src/config/config_error.ts";
import { loadConfig, parseConfig } from "../../src/config/load.ts";
import { DEFAULT_DATA_PATH, schemaKeys, SECRET_ENV } from "../../src/config/schema.ts";
import { DEFAULT_ACCOUNTS_PER_WORKER } from "../../src/messenger/fca/worker_pool.ts";

const FILE = "/etc/messenger-gateway/config.toml";
const MINIMAL = `
[component]
jid = "facebook.example.org"
secret = "s3cret-value"
`;

/** Parses `text` as FILE with an empty environment unless told otherwise. */
function parse(text: string, env: Record<string, string | undefined> = {}) {
  return parseConfig(text, FILE, env);
}

/** Parses `text`, expecting a ConfigError, and returns it. */
function fail(text: string, env: Record<string, string | undefined> = {}): ConfigError {
  try {
    parse(text, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    assert.equal(e.file, FILE);
    for (const line of e.message.split("\n")) {
      assert.match(line, /^["A-Z]/, `not sentence case: ${line}`);
      assert.doesNotMatch(line, /\.$/, `ends with a period: ${line}`);
      assert.ok(line.includes(FILE), `does not name the file: ${line}`);
    }
    return e;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("a minimal file gets every default", () => {
  const config = parse(MINIMAL);
  assert.equal(config.file, FILE);
  assert.equal(config.component.secret.reveal(), "s3cret-value");
  assert.equal(String(config.component.secret), "***", "the secret never prints");
  assert.deepEqual({ ...config.component, secret: undefined }, {
    jid: "facebook.example.org",
    secret: undefined,
    server: "127.0.0.1",
    port: 5347,
    maxStanzaSize: 256,
  });
  assert.equal(config.gateway.name, "Facebook Messenger");
  assert.deepEqual(config.gateway.admins, []);
  assert.equal(config.gateway.allowedJids.length, 1);
  assert.equal(config.gateway.data, DEFAULT_DATA_PATH);
  assert.deepEqual(config.messenger, {
    backend: "facebook",
    watchdogInterval: 300,
    watchdogThreads: 5,
    accountsPerWorker: DEFAULT_ACCOUNTS_PER_WORKER,
  });
  assert.deepEqual(config.groups, { joinHistory: 20, backfill: 50, mamDays: 30, syncLimit: 50 });
  assert.equal(config.simulated, undefined);
  assert.deepEqual(config.log, { level: "info" });
});

Deno.test("every key can be set", () => {
  const config = parse(`
[component]
jid = "Chat.Example.COM"
secret = "abc"
server = "xmpp.internal"
port = 5348
max_stanza_size = 128
[gateway]
name = "Messenger"
admins = ["Admin@Example.org", "bob@example.org"]
allowed_jids = ['.*@example\\.com', 'carol@elsewhere\\.net']
data = "https://api.deno.com/databases/abc/connect"
[groups]
join_history = 5
backfill = 0
mam_days = 7
sync_limit = 10
[messenger]
backend = "simulated"
watchdog_interval = 60
watchdog_threads = 3
accounts_per_worker = 3
[simulated]
world = "worlds/demo.toml"
control = "127.0.0.1:7777"
[log]
level = "debug"
`);
  assert.equal(config.component.secret.reveal(), "abc");
  assert.deepEqual({ ...config.component, secret: undefined }, {
    jid: "chat.example.com",
    secret: undefined,
    server: "xmpp.internal",
    port: 5348,
    maxStanzaSize: 128,
  });
  assert.equal(config.gateway.name, "Messenger");
  assert.deepEqual(config.gateway.admins, ["admin@example.org", "bob@example.org"]);
  assert.equal(config.gateway.data, "https://api.deno.com/databases/abc/connect");
  assert.ok(config.gateway.allowedJids.some((r) => r.test("dave@example.com")));
  assert.ok(config.gateway.allowedJids.some((r) => r.test("carol@elsewhere.net")));
  assert.ok(!config.gateway.allowedJids.some((r) => r.test("carol@elsewhere.net.evil")));
  assert.deepEqual(config.messenger, {
    backend: "simulated",
    watchdogInterval: 60,
    watchdogThreads: 3,
    accountsPerWorker: 3,
  });
  assert.deepEqual(config.groups, { joinHistory: 5, backfill: 0, mamDays: 7, syncLimit: 10 });
  assert.deepEqual(config.simulated, {
    world: "/etc/messenger-gateway/worlds/demo.toml",
    control: { hostname: "127.0.0.1", port: 7777 },
  });
  assert.equal(config.log.level, "debug");
});

Deno.test("component.max_stanza_size is KiB within bounds, named with its file when wrong", () => {
  assert.equal(parse(`${MINIMAL}max_stanza_size = 64\n`).component.maxStanzaSize, 64);
  for (const value of ["8", "20000", '"big"']) {
    const e = fail(`${MINIMAL}max_stanza_size = ${value}\n`);
    assert.match(e.message, new RegExp(`"component.max_stanza_size" in ${FILE}`));
  }
});

Deno.test("messages.private_file_origins are origins, and never the control API's address", () => {
  assert.deepEqual(parse(MINIMAL).messages.privateFileOrigins, []);
  const config = parse(
    `${MINIMAL}[messages]\nprivate_file_origins = ["http://10.0.0.5:5280", "HTTPS://Upload.LAN/"]\n`,
  );
  assert.deepEqual(config.messages.privateFileOrigins, [
    "http://10.0.0.5:5280",
    "https://upload.lan",
  ]);
  for (const value of ['"file:///etc"', '"http://10.0.0.5/up/"', '"http://u:p@10.0.0.5"', '"x"']) {
    const e = fail(`${MINIMAL}[messages]\nprivate_file_origins = [${value}]\n`);
    assert.match(e.message, new RegExp(`"messages.private_file_origins" in ${FILE}`));
  }
  const e = fail(
    `${MINIMAL}[messages]\nprivate_file_origins = ["http://127.0.0.1:7777"]\n` +
      `[messenger]\nbackend = "simulated"\n[simulated]\nworld = "w.toml"\n` +
      `control = "127.0.0.1:7777"\n`,
  );
  assert.match(e.message, /"simulated.control" .*must never fetch it/);
});

Deno.test("contacts.presence defaults to the safe 'connected' and refuses other words", () => {
  assert.deepEqual(parse(MINIMAL).contacts, { presence: "connected" });
  for (const mode of ["connected", "messenger", "none"]) {
    assert.equal(parse(`${MINIMAL}[contacts]\npresence = "${mode}"\n`).contacts.presence, mode);
  }
  const e = fail(`${MINIMAL}[contacts]\npresence = "poll"\n`);
  assert.equal(
    e.message,
    `"contacts.presence" in ${FILE} must be one of "connected", "messenger", "none", got "poll"`,
  );
});

Deno.test("the environment's secret overrides the file's", () => {
  const config = parse(MINIMAL, { [SECRET_ENV]: "from-env" });
  assert.equal(config.component.secret.reveal(), "from-env");
});

Deno.test("the environment's secret stands in for a missing one", () => {
  const config = parse(`[component]\njid = "facebook.example.org"\n`, { [SECRET_ENV]: "env" });
  assert.equal(config.component.secret.reveal(), "env");
});

Deno.test("an empty environment secret counts as unset", () => {
  const config = parse(MINIMAL, { [SECRET_ENV]: "" });
  assert.equal(config.component.secret.reveal(), "s3cret-value");
});

Deno.test("a missing secret is reported with the environment variable as an alternative", () => {
  const e = fail(`[component]\njid = "facebook.example.org"\n`);
  assert.equal(
    e.message,
    `Missing required key "component.secret" in ${FILE} (or set ${SECRET_ENV} in the environment)`,
  );
  assert.equal(e.key, "component.secret");
});

Deno.test("a missing jid is reported", () => {
  const e = fail(`[component]\nsecret = "x"\n`);
  assert.equal(e.message, `Missing required key "component.jid" in ${FILE}`);
});

Deno.test("an empty file reports every missing required key at once", () => {
  const e = fail("");
  assert.deepEqual(e.problems.map((p) => p.key), ["component.jid", "component.secret"]);
  assert.equal(e.message.split("\n").length, 2);
});

Deno.test("the default allowed JIDs are the users of the parent domain", () => {
  const [re] = parse(MINIMAL).gateway.allowedJids;
  assert.ok(re.test("alice@example.org"));
  assert.ok(re.test("Alice@Example.ORG"));
  assert.ok(!re.test("alice@evil.org"));
  assert.ok(!re.test("alice@example.org.evil.com"));
  assert.ok(!re.test("alice@sub.example.org"));
  assert.ok(!re.test("alice@exampleXorg"));
  assert.ok(!re.test("example.org"));
  assert.ok(!re.test("alice@example.org/phone"));
});

Deno.test("a dotless component domain lets its own users in by default", () => {
  const [re] = parse(`[component]\njid = "localhost"\nsecret = "x"\n`).gateway.allowedJids;
  assert.ok(re.test("alice@localhost"));
  assert.ok(!re.test("alice@example.org"));
});

Deno.test("allowed JID patterns must match the whole bare JID", () => {
  const config = parse(`${MINIMAL}[gateway]\nallowed_jids = ['alice@example\\.org']\n`);
  const [re] = config.gateway.allowedJids;
  assert.ok(re.test("alice@example.org"));
  assert.ok(!re.test("malice@example.org"));
  assert.ok(!re.test("alice@example.org.evil.com"));
});

Deno.test("an empty allowed JID list lets nobody in", () => {
  const config = parse(`${MINIMAL}[gateway]\nallowed_jids = []\n`);
  assert.deepEqual(config.gateway.allowedJids, []);
});

Deno.test("relative paths resolve against the config file's folder", () => {
  const config = parse(`
[component]
jid = "facebook.example.org"
secret = "x"
[gateway]
data = "state/gateway.kv"
[messenger]
backend = "simulated"
[simulated]
world = "../worlds/w.toml"
`);
  assert.equal(config.gateway.data, "/etc/messenger-gateway/state/gateway.kv");
  assert.equal(config.simulated?.world, "/etc/worlds/w.toml");
});

Deno.test("absolute paths and KV Connect URLs are kept as they are", () => {
  for (const data of ["/srv/gw.kv", "http://localhost:4512", "https://kv.example.org/db"]) {
    const config = parse(`${MINIMAL}[gateway]\ndata = "${data}"\n`);
    assert.equal(config.gateway.data, data);
  }
});

Deno.test("a relative config file name is made absolute", () => {
  const config = parseConfig(`${MINIMAL}[gateway]\ndata = "gw.kv"\n`, "conf/gw.toml", {});
  assert.equal(config.file, resolve("conf/gw.toml"));
  assert.equal(config.gateway.data, resolve("conf/gw.kv"));
});

Deno.test("the simulated backend requires a world file", () => {
  const e = fail(`${MINIMAL}[messenger]\nbackend = "simulated"\n`);
  assert.equal(e.message, `Missing required key "simulated.world" in ${FILE}`);
});

Deno.test("a simulated table is left out of the result with the facebook backend", () => {
  const config = parse(`${MINIMAL}[simulated]\nworld = "w.toml"\n`);
  assert.equal(config.simulated, undefined);
});

Deno.test("the control address must be on a loopback host", () => {
  const ok: [string, string, number][] = [
    ["127.0.0.1:7777", "127.0.0.1", 7777],
    ["127.1.2.3:80", "127.1.2.3", 80],
    ["localhost:7777", "localhost", 7777],
    ["LocalHost:1", "localhost", 1],
    ["[::1]:7777", "::1", 7777],
    ["[0:0:0:0:0:0:0:1]:7777", "::1", 7777],
    ["127.0.0.1:0", "127.0.0.1", 0],
  ];
  for (const [control, hostname, port] of ok) {
    const config = parse(
      `${MINIMAL}[messenger]\nbackend = "simulated"\n[simulated]\nworld = "w"\ncontrol = "${control}"\n`,
    );
    assert.deepEqual(config.simulated?.control, { hostname, port }, control);
  }
  const bad = [
    "0.0.0.0:7777",
    "192.168.1.2:7777",
    "example.org:7777",
    "[::]:7777",
    "::1:7777",
    "127.0.0.1",
    "127.0.0.1:",
    "127.0.0.1:65536",
    "127.0.0.1:http",
    "127.0.0.300:7777",
    ":7777",
  ];
  for (const control of bad) {
    const e = fail(
      `${MINIMAL}[messenger]\nbackend = "simulated"\n[simulated]\nworld = "w"\ncontrol = "${control}"\n`,
    );
    assert.equal(e.key, "simulated.control", control);
    assert.ok(
      e.message.startsWith(
        `"simulated.control" in ${FILE} must be a loopback "host:port" such as "127.0.0.1:7777", ` +
          `got ${JSON.stringify(control)}: `,
      ),
      e.message,
    );
  }
});

Deno.test("a wrong type is reported with the key, the file and the value", () => {
  const e = fail(`${MINIMAL.replace('secret = "s3cret-value"', 'port = "abc"\nsecret = "x"')}`);
  assert.equal(
    e.message,
    `"component.port" in ${FILE} must be an integer from 1 to 65535, got "abc"`,
  );
  assert.equal(e.key, "component.port");
});

Deno.test("out-of-range and fractional ports are refused", () => {
  for (const [port, shown] of [["0", "0"], ["65536", "65536"], ["5347.0", "5347.0"]]) {
    const e = fail(`${MINIMAL}port = ${port}\n`);
    assert.equal(
      e.message,
      `"component.port" in ${FILE} must be an integer from 1 to 65535, got ${shown}`,
    );
  }
});

Deno.test("a value outside a fixed set lists the choices", () => {
  const e = fail(`${MINIMAL}[log]\nlevel = "verbose"\n`);
  assert.equal(
    e.message,
    `"log.level" in ${FILE} must be one of "trace", "debug", "info", "warning", "error", ` +
      `"fatal", got "verbose"`,
  );
  const b = fail(`${MINIMAL}[messenger]\nbackend = "whatsapp"\n`);
  assert.match(b.message, /^"messenger\.backend" in .* must be one of "facebook", "simulated"/);
});

Deno.test("messenger.user_agent is kept trimmed; an empty, multi-line or huge one is refused", () => {
  const agent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/150.0.0.0 Safari/537.36";
  const config = parse(`${MINIMAL}[messenger]\nuser_agent = "  ${agent} "\n`);
  assert.equal(config.messenger.userAgent, agent);
  for (const bad of ['""', '"Mozilla\\nInjected: header"', `"${"x".repeat(513)}"`, "5"]) {
    const e = fail(`${MINIMAL}[messenger]\nuser_agent = ${bad}\n`);
    assert.equal(e.key, "messenger.user_agent", bad);
    assert.match(e.message, /^"messenger\.user_agent" in .* must be a browser user agent/, bad);
  }
});

Deno.test("messenger.accounts_per_worker defaults to the fca adapter's default, 1 to 100", () => {
  assert.equal(parse(MINIMAL).messenger.accountsPerWorker, DEFAULT_ACCOUNTS_PER_WORKER);
  assert.equal(
    parse(`${MINIMAL}[messenger]\naccounts_per_worker = 1\n`).messenger.accountsPerWorker,
    1,
  );
  for (const bad of ["0", "101", "2.5", '"10"']) {
    const e = fail(`${MINIMAL}[messenger]\naccounts_per_worker = ${bad}\n`);
    assert.equal(e.key, "messenger.accounts_per_worker", bad);
    assert.match(e.message, /must be an integer from 1 to 100/, bad);
  }
});

Deno.test("a component jid that is a JID rather than a domain is refused", () => {
  for (const jid of ["gw@example.org", "example.org/res", "exa mple.org", "a..b", ""]) {
    const e = fail(`[component]\njid = "${jid}"\nsecret = "x"\n`);
    assert.equal(e.key, "component.jid", jid);
    assert.ok(
      e.message.startsWith(
        `"component.jid" in ${FILE} must be a domain name such as "facebook.example.org", got`,
      ),
      e.message,
    );
  }
});

Deno.test("admins must be bare JIDs and every bad one is reported", () => {
  const e = fail(`${MINIMAL}[gateway]\nadmins = ["ok@example.org", "x@y/phone", "nobody", 3]\n`);
  assert.deepEqual(e.message.split("\n"), [
    `"gateway.admins" in ${FILE} must be a list of bare JIDs such as ["admin@example.org"]: ` +
    `item 2 "x@y/phone" is not valid: a bare JID has no /resource`,
    `"gateway.admins" in ${FILE} must be a list of bare JIDs such as ["admin@example.org"]: ` +
    `item 3 "nobody" is not valid: it needs a "user@" part`,
    `"gateway.admins" in ${FILE} must be a list of bare JIDs such as ["admin@example.org"]: ` +
    `item 4 is 3`,
  ]);
});

Deno.test("a list given as a single string is refused", () => {
  const e = fail(`${MINIMAL}[gateway]\nadmins = "admin@example.org"\n`);
  assert.match(e.message, /^"gateway\.admins" in .* got "admin@example\.org"$/);
});

Deno.test("a bad regular expression is reported with the engine's reason", () => {
  const e = fail(`${MINIMAL}[gateway]\nallowed_jids = ['(unclosed@example\\.org']\n`);
  assert.equal(
    e.message,
    `"gateway.allowed_jids" in ${FILE} must be a list of regular expressions: ` +
      `item 1 "(unclosed@example\\\\.org" is not valid: Unterminated group`,
  );
});

Deno.test("an unknown key is reported with the closest known key", () => {
  const e = fail(`${MINIMAL}[gateway]\nadmin = ["admin@example.org"]\n`);
  assert.equal(
    e.message,
    `Unknown key "gateway.admin" in ${FILE} (did you mean "gateway.admins"?)`,
  );
  assert.equal(e.key, "gateway.admin");
});

Deno.test("typo suggestions cover transpositions, camelCase and keys in the wrong table", () => {
  const cases: [string, string][] = [
    [`[gateway]\nalowed_jdis = []\n`, `did you mean "gateway.allowed_jids"?`],
    [`[gateway]\nallowedJids = []\n`, `did you mean "gateway.allowed_jids"?`],
    [`[gateway]\nport = 1\n`, `did you mean "component.port"?`],
    [`[log]\nlevle = "info"\n`, `did you mean "log.level"?`],
  ];
  for (const [extra, expected] of cases) {
    const e = fail(MINIMAL + extra);
    assert.ok(e.message.includes(expected), e.message);
  }
  const far = fail(`${MINIMAL}[gateway]\ncolour = "red"\n`);
  assert.equal(far.message, `Unknown key "gateway.colour" in ${FILE}`);
});

Deno.test("an unknown table is reported with the closest known table", () => {
  const e = fail(`${MINIMAL}[gatway]\nname = "x"\n`);
  assert.equal(e.message, `Unknown table "gatway" in ${FILE} (did you mean "gateway"?)`);
  const nested = fail(`${MINIMAL}[gateway.extra]\nx = 1\n`);
  assert.equal(nested.message, `Unknown table "gateway.extra" in ${FILE}`);
});

Deno.test("a key written above every table is pointed to its table", () => {
  const e = fail(`jid = "facebook.example.org"\n${MINIMAL}`);
  assert.equal(e.message, `Unknown key "jid" in ${FILE} (did you mean "component.jid"?)`);
});

Deno.test("a table given as a value is refused", () => {
  const e = fail(`log = "debug"\n${MINIMAL}`);
  assert.equal(e.message, `"log" in ${FILE} must be a table, got "debug"`);
});

Deno.test("a TOML syntax error names the file, the line and the column", () => {
  const e = fail(`[component]\njid = "facebook.example.org"\nport = = 5\n`);
  assert.equal(e.message, `Invalid TOML in ${FILE} at line 3, column 8: invalid value`);
  assert.equal(e.key, undefined);
});

Deno.test("a string without its closing quote is reported as unterminated, at its line", () => {
  const unterminated = (line: number) =>
    `Invalid TOML in ${FILE} at line ${line}: a string has no closing quote ` +
    "(a quoted string must end on the line where it starts)";
  const basic = fail(`[component]\njid = "facebook.example.org\nsecret = "s3cret-value"\n`);
  assert.equal(basic.message, unterminated(2));
  const literal = fail(`[component]\njid = 'facebook.example.org\n`);
  assert.equal(literal.message, unterminated(2));
  const atTheEnd = fail(`[component]\njid = "facebook.example.org`);
  assert.equal(atTheEnd.message, unterminated(2));
  const multiLine = fail(`[component]\njid = """facebook.example.org\n`);
  assert.equal(
    multiLine.message,
    `Invalid TOML in ${FILE} at line 2: a multi-line string has no closing quotes`,
  );
  // A real control character inside a closed string is still called what it is.
  const control = fail(`[component]\njid = "facebook\u0001example.org"\n`);
  assert.match(control.message, /at line 2, column \d+: control characters are not allowed/);
});

Deno.test("every problem is reported, one per line", () => {
  const e = fail(`
[component]
jid = "a@b"
port = 0
[gateway]
admin = []
[log]
level = 3
`);
  assert.deepEqual(e.problems.map((p) => p.key), [
    "component.jid",
    "component.secret",
    "component.port",
    "gateway.admin",
    "log.level",
  ]);
  assert.equal(e.message.split("\n").length, 5);
});

Deno.test("the secret is never echoed when it has the wrong type", () => {
  const e = fail(`[component]\njid = "facebook.example.org"\nsecret = 987654321\n`);
  assert.equal(
    e.message,
    `"component.secret" in ${FILE} must be a non-empty string, got an integer`,
  );
  assert.ok(!e.message.includes("987654321"));
  const arr = fail(`[component]\njid = "facebook.example.org"\nsecret = ["hunter2hunter2"]\n`);
  assert.ok(!arr.message.includes("hunter2"), arr.message);
});

Deno.test("the secret is never echoed even when pasted into another key", () => {
  const secret = "very-secret-password";
  const text = `[component]\njid = "facebook.example.org"\nsecret = "${secret}"\n` +
    `[log]\nlevel = "${secret}"\n`;
  const e = fail(text);
  assert.ok(!e.message.includes(secret), e.message);
  assert.match(e.message, /^"log\.level" in /);
  const fromEnv = fail(`[component]\njid = "facebook.example.org"\n[log]\nlevel = "${secret}"\n`, {
    [SECRET_ENV]: secret,
  });
  assert.ok(!fromEnv.message.includes(secret), fromEnv.message);
});

Deno.test("the secret is never echoed by a TOML syntax error on its line", () => {
  const e = fail(`[component]\njid = "facebook.example.org"\nsecret = "hunter2hunter2" x\n`);
  assert.ok(!e.message.includes("hunter2"), e.message);
  assert.match(e.message, /at line 3, column \d+: /);
  const open = fail(`[component]\njid = "facebook.example.org"\nsecret = "hunter2hunter2\n`);
  assert.ok(!open.message.includes("hunter2"), open.message);
  assert.match(open.message, /at line 3: a string has no closing quote/);
});

Deno.test("an unreadable file is reported with its path", async () => {
  const missing = join(await Deno.makeTempDir(), "nope.toml");
  await assert.rejects(loadConfig(missing, {}), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.file, missing);
    assert.equal(e.message, `Cannot read config file ${missing}: no such file`);
    return true;
  });
  const dir = await Deno.makeTempDir();
  await assert.rejects(loadConfig(dir, {}), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.ok(e.message.startsWith(`Cannot read config file ${dir}: `), e.message);
    return true;
  });
});

Deno.test("loadConfig reads a file and resolves paths next to it", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "gw.toml");
  await Deno.writeTextFile(file, `${MINIMAL}[gateway]\ndata = "gw.kv"\n`);
  const config = await loadConfig(file, { [SECRET_ENV]: "env-secret" });
  assert.equal(config.file, file);
  assert.equal(config.gateway.data, join(dir, "gw.kv"));
  assert.equal(config.component.secret.reveal(), "env-secret");
  await Deno.remove(dir, { recursive: true });
});

const EXAMPLE = new URL("../../config.example.toml", import.meta.url);

Deno.test("config.example.toml parses", async () => {
  const config = await loadConfig(EXAMPLE.pathname, {});
  assert.equal(config.messenger.backend, "facebook");
  assert.equal(config.component.jid, "facebook.example.org");
});

Deno.test("config.example.toml documents every key and nothing else", async () => {
  const text = await Deno.readTextFile(EXAMPLE);
  const documented = new Set<string>();
  const tables = new Set<string>();
  let table = "";
  for (const line of text.split("\n")) {
    const header = /^#?\s*\[([a-z_.]+)\]\s*$/.exec(line);
    if (header) {
      table = header[1];
      tables.add(table);
      continue;
    }
    const key = /^#?\s*([a-z_][a-z0-9_]*)\s*=/.exec(line);
    if (key) documented.add(`${table}.${key[1]}`);
  }
  const keys = schemaKeys();
  for (const { name, spec } of keys) {
    assert.ok(documented.has(name), `${name} is missing from config.example.toml`);
    assert.ok(tables.has(name.split(".")[0]), `[${name.split(".")[0]}] is missing`);
    if (spec.env !== undefined) {
      assert.ok(text.includes(spec.env), `${spec.env} is not mentioned in config.example.toml`);
    }
  }
  const known = new Set(keys.map((k) => k.name));
  for (const name of documented) {
    assert.ok(known.has(name), `config.example.toml documents an unknown key ${name}`);
  }
});
