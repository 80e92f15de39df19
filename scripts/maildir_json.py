"""Prints each email in a Maildir (as aiosmtpd's Mailbox handler writes it) as one JSON line:
its headers and its parts, decoded, for the tests to check what a real SMTP server received."""
import email
import email.policy
import json
import mailbox
import sys

for key, message in sorted(mailbox.Maildir(sys.argv[1], create=False).items()):
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    print(json.dumps({
        "message_id": parsed["Message-ID"],
        "from": parsed["From"],
        "to": parsed["To"],
        "subject": parsed["Subject"],
        "content_type": parsed.get_content_type(),
        "parts": [
            {"type": part.get_content_type(), "body": part.get_content()}
            for part in parsed.walk() if not part.is_multipart()
        ],
    }))
