"""Review links: read-only pages that show a board or an item to people outside the team, who
can approve or ask for changes. Media reach them only through signed URLs tied to the link."""

from __future__ import annotations
