"""Credentials encrypted at rest.

::

    box.py      SecretBox: seal and open stored secrets (Fernet, several keys while rotating)
    keys.py     which key: the settings, a development key file, or refuse to start
    rotate.py   re-seal every stored secret with the current key (``stixflow secrets rotate``)
"""

from stixflow.crypto.box import SecretBox

__all__ = ["SecretBox"]
