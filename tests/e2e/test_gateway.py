"""The outbound gateway retries what Slack asks it to, proven with the emulator's faults."""

from __future__ import annotations

import socket
import time

import pytest
from slack_sdk.errors import SlackApiError

from bot.sandbox.server import Sandbox
from bot.sandbox.workspace import Fault
from bot.slack import make_client

pytestmark = pytest.mark.e2e


def test_429_is_retried_after_retry_after(sandbox: Sandbox) -> None:
    sandbox.workspace.inject("chat.postMessage", Fault(status=429, retry_after=1))
    started = time.monotonic()
    answer = sandbox.deps.client.chat_postMessage(channel="C0001", text="hello")
    assert answer["ok"] is True
    assert time.monotonic() - started >= 1.0
    assert len(sandbox.workspace.calls_to("chat.postMessage")) == 2
    assert [m["text"] for m in sandbox.workspace.messages_in("C0001")] == ["hello"]


def test_5xx_is_retried_with_backoff(sandbox: Sandbox) -> None:
    sandbox.workspace.inject("chat.postMessage", Fault(status=500), Fault(status=503))
    answer = sandbox.deps.client.chat_postMessage(channel="C0001", text="after two failures")
    assert answer["ok"] is True
    assert len(sandbox.workspace.calls_to("chat.postMessage")) == 3


def test_persistent_5xx_gives_up_with_an_error(sandbox: Sandbox) -> None:
    sandbox.workspace.inject("chat.postMessage", *[Fault(status=502)] * 4)
    with pytest.raises(SlackApiError):
        sandbox.deps.client.chat_postMessage(channel="C0001", text="never")
    assert len(sandbox.workspace.calls_to("chat.postMessage")) == 4
    assert sandbox.workspace.messages_in("C0001") == []


def test_slack_errors_are_not_retried(sandbox: Sandbox) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        sandbox.deps.client.chat_postMessage(channel="C9999", text="nowhere")
    assert excinfo.value.response["error"] == "channel_not_found"
    assert len(sandbox.workspace.calls_to("chat.postMessage")) == 1


def test_connection_errors_are_retried() -> None:
    # A port bound but never listening refuses every connection: each attempt fails at
    # connect and is retried. Keeping it bound means no other process can take it meanwhile.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        client = make_client(f"http://127.0.0.1:{port}/api/", "xoxb-1")
        attempts: list[int] = []
        handler = client.retry_handlers[0]
        original = handler.can_retry

        def counting(**kwargs: object) -> bool:
            attempts.append(1)
            return original(**kwargs)  # type: ignore[arg-type]

        handler.can_retry = counting  # type: ignore[method-assign]
        with pytest.raises(Exception):  # noqa: B017  (urllib's URLError once retries run out)
            client.auth_test()
    assert len(attempts) == 4  # three retries allowed, the fourth failure gives up


def test_blocks_over_slack_limits_are_refused_like_slack(sandbox: Sandbox) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
    with pytest.raises(SlackApiError) as excinfo:
        sandbox.deps.client.chat_postMessage(channel="C0001", text="t", blocks=blocks)
    assert excinfo.value.response["errors"] == [
        "no more than 50 items allowed [json-pointer:/blocks]"
    ]


# ---------------------------------------------------------------------- interactive answers


def modal_opened(sandbox: Sandbox, user: str) -> bool:
    return bool(sandbox.workspace.view_stacks.get(user))


@pytest.mark.parametrize(
    "faults",
    [
        [Fault(status=429, retry_after=1)],
        [Fault(status=500)],
        [Fault(delay=1.5)],
        [Fault(drop=True)],
    ],
    ids=["429", "500", "slow", "dropped"],
)
def test_a_command_whose_modal_hits_a_fault_still_opens_it(
    sandbox: Sandbox, faults: list[Fault]
) -> None:
    sandbox.workspace.inject("views.open", *faults)
    delivery = sandbox.sender.slash_command("U0002", "C0001", "/feedback")
    assert delivery.status == 200
    assert modal_opened(sandbox, "U0002")
    assert len(sandbox.workspace.calls_to("views.open")) == (1 if faults[0].delay else 2)


def test_a_modal_that_cannot_be_opened_is_told_to_the_person(sandbox: Sandbox) -> None:
    sandbox.workspace.inject("views.open", *[Fault(status=503)] * 4)
    delivery = sandbox.sender.slash_command("U0002", "C0001", "/feedback")
    assert delivery.status == 200
    assert not modal_opened(sandbox, "U0002")
    # The command was acked before Slack refused the modal: told through the response_url.
    [told] = sandbox.workspace.ephemerals_for("U0002")
    assert "something went wrong" in told["text"]


def test_a_dropped_answer_after_slack_posted_is_not_posted_again(sandbox: Sandbox) -> None:
    sandbox.workspace.inject("chat.postMessage", Fault(after=True, drop=True))
    with pytest.raises(OSError):
        sandbox.deps.client.chat_postMessage(channel="C0001", text="once")
    assert [m["text"] for m in sandbox.workspace.messages_in("C0001")] == ["once"]
    assert len(sandbox.workspace.calls_to("chat.postMessage")) == 1


def test_a_dropped_answer_of_a_read_is_retried(sandbox: Sandbox) -> None:
    sandbox.workspace.inject("conversations.info", Fault(after=True, drop=True))
    answer = sandbox.deps.client.conversations_info(channel="C0001")
    assert answer["channel"]["id"] == "C0001"
    assert len(sandbox.workspace.calls_to("conversations.info")) == 2


def test_message_metadata_is_kept_and_shown_only_when_asked(sandbox: Sandbox) -> None:
    client = sandbox.deps.client
    metadata = {"event_type": "productops_post", "event_payload": {"key": "occurrence:12"}}
    posted = client.chat_postMessage(channel="C0001", text="with metadata", metadata=metadata)
    client.chat_postMessage(
        channel="C0001", text="reply", thread_ts=posted["ts"], metadata=metadata
    )
    [plain] = client.conversations_history(channel="C0001")["messages"]
    assert "metadata" not in plain
    [top] = client.conversations_history(channel="C0001", include_all_metadata=True)["messages"]
    assert top["metadata"] == metadata and top["ts"] == posted["ts"]
    thread = client.conversations_replies(
        channel="C0001", ts=posted["ts"], include_all_metadata=True
    )["messages"]
    assert [m["metadata"] for m in thread] == [metadata, metadata]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0001", text="bad", metadata={"event_type": "x"})
    assert excinfo.value.response["error"] == "invalid_metadata_format"
