"""`header_dict`: the request's headers as the routes and the journal read them."""

from __future__ import annotations

from ticketfakes import call
from ticketfakes.call import header_dict


def test_lower_case_names_and_the_first_of_a_repeated_header_wins() -> None:
    raw = [(b"X-Api-Key", b"first"), (b"accept", b"*/*"), (b"x-api-key", b"second"), (b"empty", b"")]
    headers = header_dict(raw)
    assert headers == {"x-api-key": "first", "accept": "*/*", "empty": ""}
    assert list(headers) == ["x-api-key", "accept", "empty"]  # in the order sent (the curl line shows it)


def test_non_ascii_bytes_read_as_latin_1() -> None:
    assert header_dict([(b"x-name", "Müller".encode())]) == {"x-name": "Müller".encode().decode("latin-1")}


def test_values_that_never_repeat_keep_the_text_cache_bounded() -> None:
    for n in range(3 * call.TEXT_CACHE_SIZE):
        headers = header_dict([(b"idempotency-key", f"key-{n}".encode()), (b"x-tq-client-id", b"demo-client")])
        assert headers == {"idempotency-key": f"key-{n}", "x-tq-client-id": "demo-client"}
    assert len(call._VALUES) <= call.TEXT_CACHE_SIZE
    assert len(call._NAMES) <= call.TEXT_CACHE_SIZE


def test_requests_share_the_text_of_repeated_values() -> None:
    # What keeps the journal's header dicts small: the same value is one string, not one per request.
    first = header_dict([(b"x-tq-secret", b"demo-secret")])
    again = header_dict([(b"x-tq-secret", b"demo-" + b"secret")])  # equal bytes, another object
    assert first["x-tq-secret"] is again["x-tq-secret"]
