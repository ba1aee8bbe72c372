"""The static leaderboard site: :mod:`.render` (pages, JSON, CSV) and :mod:`.plots` (SVG figures)."""
