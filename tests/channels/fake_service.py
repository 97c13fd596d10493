"""A small puppet-service gateway on loopback, built on the wechaty-grpc stubs
and grpclib: it answers the RPCs python-wechaty's PuppetService client makes,
streams events to it, and records what the bot sends. It stands in for the
WeChat side only; the client, the channel and the engine are the real ones.

Message types go over the wire in wechaty-puppet's (TypeScript) numbering,
which PuppetService maps to the gRPC enum (Text=7, Attachment=1, Image=6,
Transfer=11, RedEnvelope=12), as a real gateway sends them.

Faults a real gateway shows, for the connection tests: the account logs out
and in again on the same stream (``logout``/``login``); the process dies and
comes back on the same port (``kill``/``start``); it wedges, answering no
call and streaming nothing while its connections stay open (``wedge``/
``unwedge``); it hangs on sends to one chat (``hang_sends_to``).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from grpclib.const import Cardinality, Handler
from grpclib.server import Server
from wechaty_grpc.wechaty import puppet as pb

TS_TEXT, TS_ATTACHMENT, TS_IMAGE, TS_TRANSFER, TS_RED_ENVELOPE = 7, 1, 6, 11, 12


class FakePuppetService:
    def __init__(self, self_id: str = "wxid_bot", self_name: str = "群规助手"):
        self.self_id = self_id
        self.contacts: dict[str, str] = {self_id: self_name}
        self.rooms: dict[str, dict] = {}
        self.aliases: dict[tuple[str, str], str] = {}
        self.messages: dict[str, pb.MessagePayloadResponse] = {}
        self.sent: list[tuple[str, str, list[str]]] = []
        self.deleted: list[tuple[str, str]] = []
        self.calls: list[str] = []
        self.streams = 0                       # event streams opened so far
        self.stream_open = asyncio.Event()
        self.hang_sends_to: set[str] = set()   # MessageSendText to these chats never answers
        self.hung: list[str] = []              # the sends that hung, by chat
        self._answering = asyncio.Event()      # cleared while wedged
        self._answering.set()
        self._events: asyncio.Queue | None = None
        self.server: Server | None = None
        self._transports: list = []
        self.port = 0

    # --- the world ------------------------------------------------------------------

    def add_room(self, room_id: str, topic: str, owner_id: str,
                 members: list[tuple[str, str, str]], with_bot: bool = True) -> None:
        self.rooms[room_id] = {"topic": topic, "owner": owner_id, "members": []}
        for cid, name, alias in members:
            self.add_member(room_id, cid, name, alias)
        if with_bot:
            self.add_member(room_id, self.self_id, self.contacts[self.self_id])

    def add_member(self, room_id: str, contact_id: str, name: str, alias: str = "") -> None:
        self.contacts[contact_id] = name
        if contact_id not in self.rooms[room_id]["members"]:
            self.rooms[room_id]["members"].append(contact_id)
        self.aliases[(room_id, contact_id)] = alias

    # --- pushing events ----------------------------------------------------------------

    def _push(self, etype: pb.EventType, payload: dict) -> None:
        assert self._events is not None, "no client is listening"
        self._events.put_nowait(pb.EventResponse(type=etype, payload=json.dumps(payload)))

    def say(self, room_id: str, sender_id: str, text: str, *, ts_type: int = TS_TEXT,
            mention_ids=(), filename: str = "", ts: float | None = None) -> str:
        mid = f"m-{uuid.uuid4().hex[:12]}"
        self.messages[mid] = pb.MessagePayloadResponse(
            id=mid, text=text, type=ts_type, from_id=sender_id, room_id=room_id,
            mention_ids=list(mention_ids), filename=filename,
            timestamp=int(ts if ts is not None else time.time()))
        self._push(pb.EventType.EVENT_TYPE_MESSAGE, {"messageId": mid})
        return mid

    def join(self, room_id: str, invitee_ids: list[str], inviter_id: str) -> None:
        self._push(pb.EventType.EVENT_TYPE_ROOM_JOIN, {
            "inviteeIdList": invitee_ids, "inviterId": inviter_id, "roomId": room_id,
            "timestamp": int(time.time())})

    def login(self) -> None:
        """The account logs in (again) on the open stream, as after a QR scan."""
        self._push(pb.EventType.EVENT_TYPE_LOGIN, {"contactId": self.self_id})

    def logout(self, reason: str = "logged out on the phone") -> None:
        self._push(pb.EventType.EVENT_TYPE_LOGOUT, {"contactId": self.self_id, "data": reason})

    def heartbeat(self) -> None:
        self._push(pb.EventType.EVENT_TYPE_HEARTBEAT, {"data": "heartbeat"})

    def end_stream(self) -> None:
        """Close the event stream, as a gateway does when it restarts."""
        self._push(pb.EventType.EVENT_TYPE_UNSPECIFIED, {"__end__": True})

    # --- serving -----------------------------------------------------------------------

    async def start(self, port: int = 0) -> int:
        self.server = Server([self])
        self._transports = []
        make = self.server._protocol_factory

        def tracked():             # its connections, for kill() to drop
            protocol = make()
            made = protocol.connection_made

            def connection_made(transport):
                self._transports.append(transport)
                made(transport)
            protocol.connection_made = connection_made
            return protocol
        self.server._protocol_factory = tracked
        await self.server.start("127.0.0.1", port)
        self.port = self.server._server.sockets[0].getsockname()[1]
        return self.port

    async def kill(self) -> None:
        """The gateway process dies: its connections drop without a clean end
        of stream. ``start(self.port)`` brings it back on the same port."""
        self.server.close()
        for transport in self._transports:
            transport.abort()
        await self.server.wait_closed()
        self.stream_open.clear()
        self._events = None

    def wedge(self) -> None:
        """Answer nothing and stream nothing, with every connection left open."""
        self._answering.clear()

    def unwedge(self) -> None:
        self._answering.set()

    async def close(self) -> None:
        if self._events is not None:
            self.end_stream()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def __mapping__(self):
        def unary(name, fn, req, resp):
            async def handle(stream):
                request = await stream.recv_message()
                await self._answering.wait()
                self.calls.append(name)
                await stream.send_message(await fn(request))
            return Handler(handle, Cardinality.UNARY_UNARY, req, resp)

        rpcs = {
            "Start": (self._start, pb.StartRequest, pb.StartResponse),
            "Stop": (self._stop, pb.StopRequest, pb.StopResponse),
            "Ding": (self._ding, pb.DingRequest, pb.DingResponse),
            "ContactPayload": (self._contact, pb.ContactPayloadRequest, pb.ContactPayloadResponse),
            "RoomPayload": (self._room, pb.RoomPayloadRequest, pb.RoomPayloadResponse),
            "RoomMemberList": (self._member_list, pb.RoomMemberListRequest, pb.RoomMemberListResponse),
            "RoomMemberPayload": (self._member, pb.RoomMemberPayloadRequest,
                                  pb.RoomMemberPayloadResponse),
            "MessagePayload": (self._message, pb.MessagePayloadRequest, pb.MessagePayloadResponse),
            "MessageSendText": (self._send_text, pb.MessageSendTextRequest,
                                pb.MessageSendTextResponse),
            "RoomDel": (self._room_del, pb.RoomDelRequest, pb.RoomDelResponse),
        }
        mapping = {f"/wechaty.Puppet/{name}": unary(name, *spec) for name, spec in rpcs.items()}
        mapping["/wechaty.Puppet/Event"] = Handler(self._event_stream, Cardinality.UNARY_STREAM,
                                                   pb.EventRequest, pb.EventResponse)
        return mapping

    async def _event_stream(self, stream) -> None:
        await stream.recv_message()
        self.streams += 1
        self._events = asyncio.Queue()
        self.stream_open.set()
        await stream.send_message(pb.EventResponse(
            type=pb.EventType.EVENT_TYPE_LOGIN, payload=json.dumps({"contactId": self.self_id})))
        events = self._events
        while True:
            event = await events.get()
            if json.loads(event.payload).get("__end__"):
                self.stream_open.clear()
                return
            await self._answering.wait()
            await stream.send_message(event)

    async def _start(self, req):
        return pb.StartResponse()

    async def _stop(self, req):
        return pb.StopResponse()

    async def _ding(self, req):
        # a gateway answers a ding at once and its puppet says "dong" on the stream
        if self._events is not None:
            self._push(pb.EventType.EVENT_TYPE_DONG, {"data": req.data})
        return pb.DingResponse()

    async def _contact(self, req):
        return pb.ContactPayloadResponse(id=req.id, name=self.contacts.get(req.id, ""),
                                         type=pb.ContactType.CONTACT_TYPE_PERSONAL)

    async def _room(self, req):
        room = self.rooms.get(req.id, {"topic": "", "owner": "", "members": []})
        return pb.RoomPayloadResponse(id=req.id, topic=room["topic"], owner_id=room["owner"],
                                      member_ids=list(room["members"]),
                                      admin_ids=[room["owner"]] if room["owner"] else [])

    async def _member_list(self, req):
        return pb.RoomMemberListResponse(member_ids=list(self.rooms[req.id]["members"]))

    async def _member(self, req):
        return pb.RoomMemberPayloadResponse(id=req.member_id, name=self.contacts.get(req.member_id, ""),
                                            room_alias=self.aliases.get((req.id, req.member_id), ""))

    async def _message(self, req):
        return self.messages[req.id]

    async def _send_text(self, req):
        if req.conversation_id in self.hang_sends_to:
            self.hung.append(req.conversation_id)
            await asyncio.Event().wait()        # until the client gives up
        self.sent.append((req.conversation_id, req.text, list(req.mentonal_ids)))
        return pb.MessageSendTextResponse(id=f"sent-{len(self.sent)}")

    async def _room_del(self, req):
        self.deleted.append((req.id, req.contact_id))
        return pb.RoomDelResponse()
