/**
 * A bare XEP-0114 component built with `@xmpp/component` that echoes every message with a body
 * back to its sender: the second baseline of bench/message_path.ts, i.e. what a message costs
 * through Prosody and the XMPP library alone, with no gateway behind the component. Run as its own
 * process, like the gateway, and prints `echo component online` once it may be used.
 *
 *     deno run -A bench/_component_echo.ts <port> <domain> <secret>
 *
 * @module
 */

import { component, xml } from "@xmpp/component";

const [port, domain, secret] = Deno.args;
if (!port || !domain || !secret) {
  console.error("usage: _component_echo.ts <port> <domain> <secret>");
  Deno.exit(2);
}

interface Stanza {
  name: string;
  attrs: Record<string, string | undefined>;
  getChildText(name: string): string | null;
}

const echo = component({ service: `xmpp://127.0.0.1:${port}`, domain, password: secret });
echo.on("error", (error: Error) => console.error(`echo component: ${error.message}`));
echo.on("stanza", (stanza: Stanza) => {
  const body = stanza.name === "message" ? stanza.getChildText("body") : null;
  if (body === null || stanza.attrs.type === "error") return;
  void echo.send(
    xml(
      "message",
      { type: "chat", from: stanza.attrs.to, to: stanza.attrs.from },
      xml("body", {}, body),
    ),
  );
});
echo.on("online", () => console.log("echo component online"));
Deno.addSignalListener("SIGTERM", () => {
  echo.stop().finally(() => Deno.exit(0));
});
await echo.start();
