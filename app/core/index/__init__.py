"""Vector index for smart search: FAISS, persisted in the library's index folder, rebuilt from the database."""
