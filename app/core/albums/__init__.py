"""Albums: hand-made (photos chosen by the user) and smart (a saved query, evaluated live)."""
