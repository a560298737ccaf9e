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
