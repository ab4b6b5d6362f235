"""The batch page's parts: photos in (inputs, photos), what paints them (choices), the batch
in the session and on the engine (run), and its view (panel)."""
