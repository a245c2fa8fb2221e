"""`ticketfakes proxy`: forward each vendor's traffic to a real implementation and watch it (docs/proxy.md).

    upstreams.py   --upstream VENDOR=URL parsing
    forward.py     the ASGI app: forwards, streams the answer back, hands each exchange to the watchers
    exchange.py    one observed request and its answer
    spec.py        spec validation of both directions with the compiled validators `serve` uses
    rules/         passive business-rule observers, named like `ticketfakes check`'s rules
    har.py         --record FILE.har
    command.py     serving, the exit summary and --strict
"""
