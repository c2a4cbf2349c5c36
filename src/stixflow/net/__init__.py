"""Outbound requests made for users: the policy (``policy``), its enforcement in httpx
(``transport``), the limits of user-triggered checks (``checks``) and safe reading of what a
remote answered (``answers``). See docs/security.md, "Outbound requests"."""
