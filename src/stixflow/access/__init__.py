"""Identity and access: users, groups, organizations, capabilities, tokens, marking filters.

``service.AccessService`` is the one entry point the API and the CLI use; the other modules
hold one concept each (rows in, dataclasses out) and take an open transaction.
"""
