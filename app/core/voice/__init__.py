"""Voice notes on photos: audio kept in the library, transcribed on the device in the background."""
