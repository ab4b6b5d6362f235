"""The video page's parts: the clip in (clip), where its bytes stay on disk while core reads
them (scratch), the painting in the session on its own thread (run), and its view (panel)."""
