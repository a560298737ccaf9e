"""An aiosmtpd handler for steward's digest tests: every message received is
written whole to DIR as NNN.eml (first line: X-Rcpt-To: the envelope
recipients), atomically, so the test reads back exactly what arrived.

    python -m aiosmtpd -n -l 127.0.0.1:PORT -c mail_sink.Sink DIR
"""

import itertools
import os


class Sink:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.counter = itertools.count(len(os.listdir(directory)) + 1)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("mail_sink.Sink needs one argument: the directory")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        final = os.path.join(self.directory, "%03d.eml" % n)
        tmp = final + ".tmp"
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        with open(tmp, "wb") as f:
            f.write(b"X-Rcpt-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(content)
        os.replace(tmp, final)
        return "250 Message accepted for delivery"


class OneLogin:
    """An aiosmtpd authenticator that accepts one user and password (PLAIN or
    LOGIN) and refuses everything else."""

    def __init__(self, user, password):
        self.user = user
        self.password = password

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode("utf-8", "replace") == self.user
            and auth_data.password.decode("utf-8", "replace") == self.password
        )
        return AuthResult(success=ok, handled=False)


def main():
    """A server the aiosmtpd command line cannot start: with a login, and/or
    implicit TLS (port 465 style). Prints READY_LINE once it answers.

        python mail_sink.py --port PORT --dir DIR [--tlscert C --tlskey K]
            [--mode starttls|tls] [--user U --password-env VAR]
    """
    import argparse
    import ssl
    import threading

    from aiosmtpd.controller import Controller

    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--tlscert")
    p.add_argument("--tlskey")
    p.add_argument("--mode", choices=["starttls", "tls"], default="starttls")
    p.add_argument("--user")
    p.add_argument("--password-env")
    a = p.parse_args()

    kwargs = {}
    ssl_context = None
    if a.tlscert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tlscert, a.tlskey)
        if a.mode == "tls":
            ssl_context = ctx
        else:
            kwargs.update(tls_context=ctx, require_starttls=True)
    if a.user:
        password = os.environ[a.password_env]
        kwargs.update(
            authenticator=OneLogin(a.user, password),
            auth_required=True,
            # Implicit TLS is already encrypted; aiosmtpd only knows STARTTLS.
            auth_require_tls=ssl_context is None,
        )
    controller = Controller(
        Sink(a.dir),
        hostname="127.0.0.1",
        port=a.port,
        ssl_context=ssl_context,
        **kwargs,
    )
    controller.start()
    print(READY_LINE, flush=True)
    threading.Event().wait()


READY_LINE = "mail_sink: ready"

if __name__ == "__main__":
    main()
