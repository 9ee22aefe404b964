"""The persisted task engine: handlers register by type; the engine claims rows and runs them on QThreadPool."""
