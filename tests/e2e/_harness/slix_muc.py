#!/usr/bin/python3
"""Joins a room with slixmpp's own XEP-0045 plugin, writes in it and reports what it saw.

Why: an independent client's MUC code (not xmpp.js, not our own stanza matching) must accept the
gateway's rooms: its join logic waits for the self-presence (status 110) and the subject.

Usage: slix_muc.py --jid user@localhost --password PW --port C2S_PORT --room ROOM --nick NICK
       --say TEXT --expect NICK:TEXT [--expect NICK:TEXT ...] [--timeout S]
Prints one JSON line per event: {"event": "joined", "nick": …, "codes": […]},
{"event": "history"|"message", "from": …, "body": …, "stanza_id": …}, {"event": "subject", …}.
Exit status: 0 when every expected message arrived, 1 otherwise (reason on stderr).
"""

import argparse
import asyncio
import json
import logging
import sys

logging.getLogger("slixmpp.stringprep").setLevel(logging.ERROR)

from slixmpp import ClientXMPP  # noqa: E402

NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_SID = "urn:xmpp:sid:0"


def emit(**fields):
    print(json.dumps(fields), flush=True)


class Muc(ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.expected = set(args.expect)
        self.failure = None
        self.done = self.loop.create_future()
        self.register_plugin("xep_0045")
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("groupchat_message", self.on_message)
        self.add_event_handler("groupchat_subject", self.on_subject)
        self.add_event_handler("failed_all_auth", lambda _e: self.fail("authentication failed"))

    def fail(self, reason):
        self.failure = reason
        if not self.done.done():
            self.done.set_result(False)

    def on_message(self, msg):
        stanza_id = None
        for child in msg.xml:
            if child.tag == "{%s}stanza-id" % NS_SID:
                stanza_id = child.get("id")
        delayed = msg.xml.find("{urn:xmpp:delay}delay") is not None
        nick = msg["mucnick"]
        body = msg["body"]
        emit(event="history" if delayed else "message", nick=nick, body=body, stanza_id=stanza_id)
        self.expected.discard("%s:%s" % (nick, body))
        if not self.expected and not self.done.done():
            self.done.set_result(True)

    def on_subject(self, msg):
        emit(event="subject", subject=msg["subject"])

    async def on_start(self, _event):
        self.send_presence()
        try:
            # (own presence, subject, occupant presences, history) once the join completed.
            presence, _subject, _occupants, _history = await self.plugin["xep_0045"].join_muc_wait(
                self.args.room, self.args.nick, maxstanzas=50, timeout=self.args.timeout)
        except Exception as e:  # noqa: BLE001 - any failure to join is the test's answer
            self.fail("join failed: %s" % e)
            return
        codes = [s.get("code") for s in presence.xml.iter("{%s}status" % NS_MUC_USER)]
        emit(event="joined", nick=presence["from"].resource, codes=sorted(codes))
        self.send_message(mto=self.args.room, mbody=self.args.say, mtype="groupchat")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--room", required=True)
    ap.add_argument("--nick", required=True)
    ap.add_argument("--say", required=True)
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=15.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    xmpp = Muc(args)
    xmpp.connect(address=("127.0.0.1", args.port), use_ssl=False, force_starttls=False,
                 disable_starttls=True)
    try:
        ok = xmpp.loop.run_until_complete(asyncio.wait_for(xmpp.done, args.timeout))
    except asyncio.TimeoutError:
        ok = False
        xmpp.failure = "missing: %s" % sorted(xmpp.expected)
    xmpp.disconnect()
    if not ok:
        print("slix_muc: %s" % xmpp.failure, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
