"""`serve`'s token and address, in a real process: the token can come from $SUPERMASK_TOKEN or --token-file, out of
the process list; an empty one is refused in words (it was silently replaced by a random one); listening beyond
loopback warns that the token is the only guard and says where the SSH tunnel and TLS are explained."""

import secrets
import subprocess
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from conftest import REPO, WORKER
from serving import ENV, Client, run, serve_command, start_server

GUIDE = "docs/worker.md, 'Another machine: an SSH tunnel or TLS'"


def stop(p):
    p.terminate()
    _, stderr = p.communicate(timeout=30)
    return stderr


def gets_in(url, token):
    async def go():
        client = await Client.connect(url, token=token)
        await client.close()

    run(go())


def test_the_token_comes_from_the_environment_or_a_file_and_stays_out_of_the_process_list(tmp_path):
    from_env, from_file = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    token_file = tmp_path / "token"
    token_file.write_text(from_file + "\n")  # as an editor or `echo` leaves it
    servers = [
        (from_env, start_server(tmp_path / "a", {**ENV, "SUPERMASK_TOKEN": from_env}, token=None)),
        (from_file, start_server(tmp_path / "b", None, "--token-file", str(token_file), token=None)),
    ]
    for token, (p, url) in servers:
        try:
            command_line = Path(f"/proc/{p.pid}/cmdline").read_bytes()
            assert token.encode() not in command_line
            assert url.endswith(f"?token={token}")  # the URL to paste still carries it
            gets_in(url, token)
            with pytest.raises(ConnectionClosed) as refused:
                gets_in(url, token + "x")
            assert refused.value.code == 4001
        finally:
            stop(p)


@pytest.mark.parametrize(
    "how",
    ["--token ''", "SUPERMASK_TOKEN=''", "--token-file holding a newline"],
)
def test_an_empty_token_is_refused_in_words(tmp_path, how):
    token_file = tmp_path / "token"
    token_file.write_text("\n")
    extra, env = {
        "--token ''": (["--token", ""], ENV),
        "SUPERMASK_TOKEN=''": ([], {**ENV, "SUPERMASK_TOKEN": ""}),
        "--token-file holding a newline": (["--token-file", str(token_file)], ENV),
    }[how]
    source = {"--token ''": "--token", "SUPERMASK_TOKEN=''": "$SUPERMASK_TOKEN"}.get(how, f"--token-file {token_file}")
    # The old server started with a random token instead, and ran until this timeout.
    done = subprocess.run(serve_command(tmp_path / "runs", *extra, token=None), cwd=WORKER, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "ws://" not in done.stdout
    assert done.stderr == f"error: {source} is empty: give a token, or none of --token, --token-file and " \
        "$SUPERMASK_TOKEN for a new random one\n"


def test_listening_beyond_loopback_warns_that_the_token_is_the_only_guard(tmp_path):
    token = secrets.token_urlsafe(16)  # the port is open to the network for the second the test takes
    p, url = start_server(tmp_path / "a", None, "--host", "0.0.0.0", token=token, stderr=subprocess.PIPE)
    try:
        gets_in(url.replace("0.0.0.0", "127.0.0.1"), token)
    finally:
        wide = stop(p)
    p, url = start_server(tmp_path / "b", None, "--host", "localhost", stderr=subprocess.PIPE)
    narrow = stop(p)
    assert wide.splitlines()[0] == (
        "warning: listening on 0.0.0.0, beyond this machine: the token is the only guard against anyone who can "
        "reach the port, and ws:// carries it in clear text. Keep the default --host 127.0.0.1 and reach it through "
        f"an SSH tunnel or TLS: {GUIDE}."
    )
    assert "warning" not in narrow
    assert "### Another machine: an SSH tunnel or TLS" in (REPO / "docs" / "worker.md").read_text().splitlines()
