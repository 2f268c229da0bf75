#!/usr/bin/env python3
"""A complete Remote Chat external agent in Python, using only the `websockets` library.

It registers on a runtime's agent endpoint (or dials the BFF with a thread token), then answers
every message: it streams back a short reply word by word, shows one harmless "tool call" (it
counts the words of the message; it runs nothing), and ends the turn. With --ask it first asks
the person for permission (the chat shows the question with its buttons) and counts only if
allowed. Stop (a `cancel` frame) ends the turn at once. See README.md beside this file and docs/agent-protocol.md.

    # on the runtime's host, as the runtime's user:
    python3 agent.py --endpoint-file STATE_DIR/agent-endpoint.json
    # anywhere, with a thread token copied from the chat:
    REMOTE_CHAT_THREAD_TOKEN=rcat_... python3 agent.py --bff https://chat.example.com
"""

import argparse
import asyncio
import json
import os
import signal
import sys
import urllib.parse

import websockets

DEFAULT_AGENT_ID = "python-example"


def parse_args():
    parser = argparse.ArgumentParser(description="The Remote Chat example agent.")
    parser.add_argument("--agent-id", default=os.environ.get("REMOTE_CHAT_AGENT_ID", DEFAULT_AGENT_ID),
                        help="the id messages name (default %(default)s)")
    parser.add_argument("--label", default="Python example", help="the name the picker shows")
    parser.add_argument("--endpoint-file",
                        help="a runtime's agent-endpoint.json ({url, secret}); "
                             "else REMOTE_CHAT_AGENT_URL and REMOTE_CHAT_AGENT_SECRET")
    parser.add_argument("--bff", default=os.environ.get("REMOTE_CHAT_BFF_URL"),
                        help="dial this BFF (http(s)://host[/mount]) with the thread token in "
                             "REMOTE_CHAT_THREAD_TOKEN instead of a runtime's endpoint")
    parser.add_argument("--delay", type=float, default=0.03, help="seconds between streamed words")
    parser.add_argument("--ask", action="store_true",
                        help="ask the person for permission before the tool call")
    return parser.parse_args()


def where_to_connect(args):
    """The WebSocket URL and the bearer secret, from the flags and the environment."""
    if args.bff:
        token = os.environ.get("REMOTE_CHAT_THREAD_TOKEN")
        if not token:
            sys.exit("set REMOTE_CHAT_THREAD_TOKEN to the thread token you copied from the chat")
        base = args.bff.rstrip("/")
        base = "ws" + base[len("http"):] if base.startswith("http") else base
        return f"{base}/api/agent", token
    if args.endpoint_file:
        with open(args.endpoint_file, encoding="utf-8") as file:
            endpoint = json.load(file)
        return endpoint["url"], endpoint["secret"]
    url = os.environ.get("REMOTE_CHAT_AGENT_URL")
    secret = os.environ.get("REMOTE_CHAT_AGENT_SECRET")
    if not url or not secret:
        sys.exit("give --endpoint-file, or set REMOTE_CHAT_AGENT_URL and REMOTE_CHAT_AGENT_SECRET, or --bff")
    return url, secret


def connect(url, secret):
    """websockets.connect with the bearer header, on the old (10.x) and the new (14+) client alike."""
    headers = {"Authorization": f"Bearer {secret}"}
    major = int(websockets.__version__.split(".")[0])
    if major >= 14:
        return websockets.connect(url, additional_headers=headers, max_size=8 * 1024 * 1024)
    return websockets.connect(url, extra_headers=headers, max_size=8 * 1024 * 1024)


class Agent:
    def __init__(self, socket, args):
        self.socket = socket
        self.args = args
        self.turns = {}  # (threadId, turnId) -> asyncio.Task
        self.asks = {}  # (threadId, turnId, requestId) -> future of the permission.answer frame

    async def send(self, frame):
        await self.socket.send(json.dumps(frame))

    async def event(self, message, event):
        await self.send({"type": "event", "threadId": message["threadId"],
                         "turnId": message["turnId"], "event": event})

    async def ask(self, message, request_id, title, options):
        """Asks the person; returns the host's `permission.answer` frame (a choice, or denied)."""
        key = (message["threadId"], message["turnId"], request_id)
        self.asks[key] = asyncio.get_running_loop().create_future()
        try:
            await self.send({"type": "permission.request", "threadId": message["threadId"],
                             "turnId": message["turnId"], "requestId": request_id,
                             "title": title, "options": options})
            return await self.asks[key]
        finally:
            self.asks.pop(key, None)

    async def answer(self, message):
        """One turn: a streamed reply, one harmless tool call, then `done`."""
        key = (message["threadId"], message["turnId"])
        reply_id = f"py-{message['turnId']}"
        streamed = []
        try:
            await self.event(message, {"kind": "status", "state": "running"})
            earlier = message.get("transcript")
            context = f" I joined this thread with {len(earlier)} earlier events." if earlier else ""
            text = message["text"]
            reply = f"You said: {text}\n\nI am the Python example agent.{context}"
            for word in reply.split(" "):
                piece = word if not streamed else " " + word
                streamed.append(piece)
                await self.event(message, {"kind": "message.delta", "messageId": reply_id, "text": piece})
                await asyncio.sleep(self.args.delay if "slowly" not in text else 1.0)
            await self.event(message, {"kind": "message.agent", "messageId": reply_id,
                                       "text": "".join(streamed), "agent": message["agent"]})
            if self.args.ask:
                answer = await self.ask(message, "count", "May I count the words of your message?", [
                    {"optionId": "yes", "name": "Allow", "kind": "allow_once"},
                    {"optionId": "no", "name": "Reject", "kind": "reject_once"},
                ])
                if answer.get("denied") or answer.get("kind", "").startswith("reject"):
                    why = "No one answered in time" if answer["by"] == "timeout" else "You said no"
                    await self.event(message, {"kind": "message.agent", "messageId": f"{reply_id}-no",
                                               "text": f"{why}, so I did not count.", "agent": message["agent"]})
                    await self.send({"type": "done", "threadId": message["threadId"], "turnId": message["turnId"]})
                    return
            call_id = f"py-{message['turnId']}-count"
            await self.event(message, {"kind": "tool.call", "callId": call_id, "tool": "count_words",
                                       "title": "Count the words of the message", "input": {"text": text}})
            await self.event(message, {"kind": "tool.output", "callId": call_id, "stream": "stdout",
                                       "data": f"{len(text.split())} words\n"})
            await self.event(message, {"kind": "tool.result", "callId": call_id, "ok": True,
                                       "durationMs": 0, "exitCode": 0})
            await self.send({"type": "done", "threadId": message["threadId"], "turnId": message["turnId"]})
        except asyncio.CancelledError:
            # Stop: close what was streamed, say so, and end the turn.
            text = "".join(streamed) + ("\n\n" if streamed else "") + "Stopped."
            await self.event(message, {"kind": "message.agent", "messageId": reply_id,
                                       "text": text, "agent": message["agent"]})
            await self.send({"type": "done", "threadId": message["threadId"], "turnId": message["turnId"]})
        finally:
            self.turns.pop(key, None)

    async def run(self):
        await self.send({"type": "register", "clientType": "agent", "agentId": self.args.agent_id,
                         "label": self.args.label, "protocol": 1,
                         "description": "Answers every message with a short streamed reply."})
        async for raw in self.socket:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "registered":
                where = f" for thread {frame['threadId']}" if frame.get("threadId") else ""
                print(f"registered as {frame['agentId']}{where}", flush=True)
            elif kind == "message":
                key = (frame["threadId"], frame["turnId"])
                self.turns[key] = asyncio.create_task(self.answer(frame))
            elif kind == "permission.answer":
                future = self.asks.get((frame["threadId"], frame["turnId"], frame["requestId"]))
                if future and not future.done():
                    future.set_result(frame)
            elif kind == "cancel":
                task = self.turns.get((frame["threadId"], frame["turnId"]))
                if task:
                    task.cancel()
            elif kind == "error":
                print(f"refused: {frame['code']}: {frame['message']}", file=sys.stderr, flush=True)


async def main():
    args = parse_args()
    url, secret = where_to_connect(args)
    query = urllib.parse.urlencode({"agentId": args.agent_id})
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    async with connect(f"{url}?{query}", secret) as socket:
        agent = Agent(socket, args)
        runner = asyncio.create_task(agent.run())
        await asyncio.wait([runner, stop], return_when=asyncio.FIRST_COMPLETED)
        if runner.done():
            runner.result()  # raises if the connection failed
            print(f"the connection closed ({socket.close_code})", file=sys.stderr, flush=True)
            sys.exit(1)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except websockets.exceptions.InvalidStatusCode as error:
        sys.exit(f"refused: HTTP {error.status_code} (is the secret or token right?)")
    except OSError as error:
        sys.exit(f"cannot connect: {error}")
