import assert from "node:assert/strict";
import type { Attachment } from "../../src/messenger/events.ts";
import { attachmentLink } from "../../src/xmpp/attachment_presentation.ts";
import { buildContactMessages } from "../../src/xmpp/message_build.ts";
import { assertXml } from "./_canonical_xml.ts";

const CONTACT = "100001@facebook.example.org";
const USER = "alice@example.org";

/** The stanza one attachment becomes (a message without text: one stanza). */
function stanzaOf(attachment: Attachment) {
  const [stanza, ...rest] = buildContactMessages({
    from: CONTACT,
    to: USER,
    id: "mid.$1",
    text: "",
    attachments: [attachmentLink(attachment)],
  });
  assert.equal(rest.length, 0);
  return stanza;
}

Deno.test("a photo: body is the URL, OOB with the file name, XEP-0447 metadata", () => {
  const url = "https://cdn.example/p/view.png?oh=secret";
  assertXml(
    stanzaOf({
      kind: "photo",
      url,
      filename: "view.png",
      contentType: "image/png",
      size: 8,
      width: 640,
      height: 480,
    }),
    `<message type="chat" from="${CONTACT}" to="${USER}" id="mid.$1">
      <body>${url}</body>
      <x xmlns="jabber:x:oob"><url>${url}</url><desc>view.png</desc></x>
      <file-sharing xmlns="urn:xmpp:sfs:0" disposition="inline">
        <file xmlns="urn:xmpp:file:metadata:0">
          <media-type>image/png</media-type><name>view.png</name><size>8</size>
          <width>640</width><height>480</height>
        </file>
        <sources><url-data xmlns="http://jabber.org/protocol/url-data" target="${url}"/></sources>
      </file-sharing>
      <markable xmlns="urn:xmpp:chat-markers:0"/>
      <origin-id xmlns="urn:xmpp:sid:0" id="mid.$1"/>
      <store xmlns="urn:xmpp:hints"/>
    </message>`,
  );
});

Deno.test("files, voice messages and stickers keep the bare URL body", () => {
  const file = stanzaOf({
    kind: "file",
    url: "https://cdn.example/f/report.pdf",
    filename: "report.pdf",
    contentType: "application/pdf",
  });
  assert.equal(file.getChildText("body"), "https://cdn.example/f/report.pdf");
  assert.equal(file.getChild("x", "jabber:x:oob")?.getChildText("desc"), "report.pdf");
  assert.equal(file.getChild("file-sharing", "urn:xmpp:sfs:0")?.attrs.disposition, "attachment");

  const voice = stanzaOf({ kind: "audio", url: "https://cdn.example/v.mp4", isVoice: true });
  assert.equal(voice.getChildText("body"), "https://cdn.example/v.mp4");
  assert.equal(voice.getChild("x", "jabber:x:oob")?.getChildText("desc"), "Voice message");

  const sticker = stanzaOf({ kind: "sticker", url: "https://cdn.example/s.png" });
  assert.equal(sticker.getChildText("body"), "https://cdn.example/s.png");
  assert.equal(sticker.getChild("x", "jabber:x:oob")?.getChildText("desc"), "Sticker");
});

Deno.test("a location: readable text, geo: URI and OpenStreetMap link; OOB is the geo: URI", () => {
  const stanza = stanzaOf({
    kind: "location",
    latitude: 48.8583701,
    longitude: 2.2944813,
    title: "Eiffel Tower",
    url: "https://l.facebook.com/l.php?u=maps",
  });
  assert.equal(
    stanza.getChildText("body"),
    "📍 Eiffel Tower (48.85837, 2.294481)\ngeo:48.85837,2.294481\n" +
      "https://www.openstreetmap.org/?mlat=48.85837&mlon=2.294481#map=16/48.85837/2.294481",
  );
  const oob = stanza.getChild("x", "jabber:x:oob");
  assert.equal(oob?.getChildText("url"), "geo:48.85837,2.294481");
  assert.equal(oob?.getChildText("desc"), "Eiffel Tower");

  const noCoordinates = stanzaOf({ kind: "location", url: "https://maps.example/x" });
  assert.equal(noCoordinates.getChildText("body"), "📍 Location\nhttps://maps.example/x");
  const nothing = stanzaOf({ kind: "location", latitude: 200, longitude: 0 });
  assert.match(nothing.getChildText("body") ?? "", /location that the gateway cannot show/);
  assert.equal(nothing.getChild("x", "jabber:x:oob"), undefined);
});

Deno.test("a link share: title and description above the URL", () => {
  const stanza = stanzaOf({
    kind: "share",
    url: "https://news.example/story",
    title: "Big news",
    description: "Something happened",
  });
  assert.equal(
    stanza.getChildText("body"),
    "Big news\nSomething happened\nhttps://news.example/story",
  );
  assert.equal(stanza.getChild("x", "jabber:x:oob")?.getChildText("desc"), "Big news");
  assert.equal(stanza.getChild("file-sharing", "urn:xmpp:sfs:0"), undefined);
});

Deno.test("unknown kinds and files without a URL become a sentence, never nothing", () => {
  const unknown = stanzaOf({ kind: "unknown" });
  assert.match(unknown.getChildText("body") ?? "", /kind the gateway does not support/);
  assert.equal(unknown.getChild("x", "jabber:x:oob"), undefined);
  const withUrl = stanzaOf({ kind: "unknown", url: "https://cdn.example/poll" });
  assert.match(withUrl.getChildText("body") ?? "", /: https:\/\/cdn\.example\/poll$/);
  const photo = stanzaOf({ kind: "photo" });
  assert.match(photo.getChildText("body") ?? "", /^Sent a photo, but Messenger gave no address/);
});
