#!/usr/bin/python3
"""Independent XMPP client for e2e tests: log in with slixmpp, send iqs, print the replies.

Why: a second, unrelated XMPP implementation catches gateway behaviour that only works because
xmpp.js happens to be lenient (namespaces, error shapes, XEP-0077 forms).

Usage: slix_client.py --jid user@localhost --password PW --port C2S_PORT [--timeout S]
       [--presence] [IQ_XML ...]
       slix_client.py --jid … --password … --port … [--timeout S] --actions JSON
With no IQ_XML arguments (and no --actions), one iq is read from stdin. Each iq is sent in order
(an id is added if missing, the default namespace is jabber:client). For each reply one JSON line
is printed: {"xml": "<iq .../>", "tree": {"name", "ns", "attrs", "children": [tree | text]}}.
Error replies are printed like results (tests assert on them).

--actions runs a chat script after sending presence, in order: {"send": {"to", "body"}} sends a
chat message; {"expect": {"from", "body"}} waits for a message from that bare JID with that body
and prints it like a reply; {"post": {"url", "body"}} POSTs the body (JSON) over HTTP, as a curl
command would (e.g. to the simulated network's control API).

Exit status: 0 when every iq got a reply (every action succeeded), 1 on login failure or timeout
(message on stderr), 2 on bad arguments.
"""

import argparse
import asyncio
import json
import logging
import sys
import urllib.request
import xml.etree.ElementTree as ET

# Silence the import-time "Using slower stringprep" warning (Debian lacks the cython/libidn one).
logging.getLogger("slixmpp.stringprep").setLevel(logging.ERROR)

from slixmpp import ClientXMPP  # noqa: E402 - after the logging tweak on purpose
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402
from slixmpp.stanza import Iq  # noqa: E402

NS_CLIENT = "jabber:client"


def tree(el):
    """ElementTree element -> JSON-able dict with explicit namespaces."""
    ns, _, name = el.tag[1:].partition("}") if el.tag.startswith("{") else ("", "", el.tag)
    children = []
    if el.text:
        children.append(el.text)
    for child in el:
        children.append(tree(child))
        if child.tail:
            children.append(child.tail)
    return {"name": name, "ns": ns, "attrs": dict(el.attrib), "children": children}


def parse_iq(text):
    el = ET.fromstring(text)
    if not el.tag.startswith("{"):
        # Unqualified <iq> means the stream's default namespace: re-parse with it declared.
        el = ET.fromstring(text.replace("<iq", '<iq xmlns="%s"' % NS_CLIENT, 1))
    if el.tag != "{%s}iq" % NS_CLIENT:
        raise ValueError("not an iq: %s" % el.tag)
    return el


class Runner(ClientXMPP):
    def __init__(self, jid, password, iqs, timeout, presence, actions=None):
        super().__init__(jid, password)
        self.iqs = iqs
        self.actions = actions
        self.timeout = timeout
        self.presence = presence or actions is not None
        self.replies = []
        self.actions_done = False
        self.messages = asyncio.Queue()
        self.add_event_handler("message", self.messages.put_nowait)
        self.failure = None
        self.finished = self.loop.create_future()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("failed_all_auth", self.on_failed_auth)
        self.add_event_handler("connection_failed", self.on_connection_failed)
        self.add_event_handler("disconnected", lambda _e: self.finish())

    def finish(self):
        if not self.finished.done():
            self.finished.set_result(True)

    def on_failed_auth(self, _event):
        self.failure = "authentication failed"
        self.disconnect()

    def on_connection_failed(self, error):
        # slixmpp would retry forever: fail fast instead.
        self.failure = "connection failed: %s" % (error,)
        self.finish()

    async def run_actions(self):
        for action in self.actions:
            if "send" in action:
                self.send_message(mto=action["send"]["to"], mbody=action["send"]["body"], mtype="chat")
            elif "expect" in action:
                want = action["expect"]
                while True:
                    try:
                        msg = await asyncio.wait_for(self.messages.get(), self.timeout)
                    except asyncio.TimeoutError:
                        self.failure = "no message within %ss: %s" % (self.timeout, json.dumps(want))
                        return
                    if msg["from"].bare == want["from"] and msg["body"] == want["body"]:
                        break
                print(json.dumps({"xml": str(msg), "tree": tree(msg.xml)}), flush=True)
            elif "post" in action:
                post = action["post"]
                request = urllib.request.Request(post["url"], data=post["body"].encode(), method="POST")
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
            else:
                self.failure = "unknown action: %s" % json.dumps(action)
                return

    async def on_start(self, _event):
        try:
            if self.presence:
                self.send_presence()
            if self.actions is not None:
                await self.run_actions()
                self.actions_done = self.failure is None
                return
            for el in self.iqs:
                iq = Iq(self, xml=el)
                if not iq["id"]:
                    iq["id"] = self.new_id()
                try:
                    reply = await iq.send(timeout=self.timeout)
                except IqError as e:
                    reply = e.iq
                except IqTimeout:
                    self.failure = "no reply within %ss to %s" % (self.timeout, ET.tostring(el, "unicode"))
                    return
                self.replies.append(reply)
                print(json.dumps({"xml": str(reply), "tree": tree(reply.xml)}), flush=True)
        except Exception as e:  # noqa: BLE001 - report anything as a failure
            self.failure = "%s: %s" % (type(e).__name__, e)
        finally:
            self.disconnect()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--presence", action="store_true")
    ap.add_argument("--debug", action="store_true")
    ap.add_argument("--actions")
    ap.add_argument("iq", nargs="*")
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR, stream=sys.stderr)

    actions = None
    try:
        if args.actions is not None:
            actions = json.loads(args.actions)
            iqs = []
        else:
            iqs = [parse_iq(t) for t in (args.iq or [sys.stdin.read()])]
    except (ET.ParseError, ValueError) as e:
        print("bad iq or actions: %s" % e, file=sys.stderr)
        return 2

    xmpp = Runner(args.jid, args.password, iqs, args.timeout, args.presence, actions)
    xmpp.connect(address=(args.host, args.port), use_ssl=False, force_starttls=False,
                 disable_starttls=True)
    # Overall bound: login plus every iq's timeout, plus slack.
    deadline = 5.0 + args.timeout * (len(iqs) + len(actions or []) + 1)
    try:
        xmpp.loop.run_until_complete(asyncio.wait_for(xmpp.finished, deadline))
    except asyncio.TimeoutError:
        xmpp.failure = xmpp.failure or "gave up after %.1fs (login or disconnect hung)" % deadline
    incomplete = not xmpp.actions_done if actions is not None else len(xmpp.replies) != len(iqs)
    if xmpp.failure or incomplete:
        print("slix_client: %s" % (xmpp.failure or "session never started"), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
