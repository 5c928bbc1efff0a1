"""Gzip for the pages that are large and safe to compress.

Compressing a page that holds a secret next to text an attacker can put there lets the attacker
guess the secret from the compressed size (BREACH). So compression is opted into per view, only
for pages whose one secret is the CSRF token, which Django masks afresh in every response (and
Django's gzip pads every body by a random length, "Heal The BREACH"): the gallery, item detail,
boards, history, cards and their poll replies, and home. Pages that show API keys, invitation
links or account forms are not compressed. Static files are compressed ahead by whitenoise.
"""

from __future__ import annotations

from django.views.decorators.gzip import gzip_page

compress_html = gzip_page
