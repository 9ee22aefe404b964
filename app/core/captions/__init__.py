"""Captions of photos: written by a caption model in the background, or typed by the user (then kept)."""
