"""The PySide6 desktop app. It calls app.core services and listens to their signals; it never opens
database sessions itself."""
