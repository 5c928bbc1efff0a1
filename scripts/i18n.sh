#!/usr/bin/env bash
# Refresh the translation catalogues from the code, then compile them (.mo files are committed,
# because a fresh machine may not have gettext). Translate new entries in
# locale/zh_Hans/LC_MESSAGES/django.po between the two steps, or run this again afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python manage.py makemessages -l zh_Hans -l en \
  --ignore=.venv --ignore=data --ignore=tests --ignore=bench --no-obsolete
.venv/bin/python manage.py compilemessages --ignore=.venv
