"""Database models and session helpers; migrations live in the top-level `migrations/` package."""
