"""The Live page's parts: the camera stream wired to the session's painter (stream) and what
the page shows of it while it runs: frame rate, size, problems, snapshots (panel)."""
