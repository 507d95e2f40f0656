"""The gateway's rules, with no nameko and no I/O: identities and access, sign-in
limits, view events, and answers joined from several services."""
