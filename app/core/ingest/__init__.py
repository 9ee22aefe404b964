"""Photo ingestion: find image files, analyse them (hash, metadata, thumbnails, pHash) and store them.

The pure pieces (sniff, scan, hashing, metadata, thumbnails, phash, analyse) never touch the database, so they
run on worker threads in parallel; `store` writes the result in the task's session; `tasks` and `importer` tie
them to the task engine.
"""
