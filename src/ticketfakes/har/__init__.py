"""`ticketfakes fixtures from-har`: what a HAR recording showed becomes a fixture file (docs/proxy.md).

    base.py        `Seen` (one observed answer), `VendorRecording`, the helpers that merge sightings
    reader.py      the HAR file -> `Seen` answers under each registered fake's prefix
    command.py     `fixture_from_har` and the command: every fake's recording, written over the base fixture
    <vendor>.py    one vendor's recording: what its answers showed, and its fixture section

A fake names its recording in its `Fake` (`har=`). The vendor modules import `base.py` only
(tests/test_imports.py). `proxy/har.py` writes the HAR files this reads.
"""
